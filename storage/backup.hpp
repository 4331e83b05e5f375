#pragma once
// Backups of the event log (docs/http-api.md: POST /v1/admin/backups; docs/cli.md: `leadbase backup`,
// `leadbase restore`).
//
// Layout of a backup root (the config's [backup] dir, or `backup --to`):
//   ROOT/<id>/db/          a RocksDB checkpoint of the data dir: every family
//                          (log, keys, projections), consistent as of one moment
//   ROOT/<id>/backup.json  {"backup_id","position","created_at","size_bytes",
//                          "verified","problem"}
//   ROOT/.tmp-<id>/        a backup being written; never listed, removed on failure
// Ids count up from 1 (the largest id in ROOT + 1).
//
// Consistency: a checkpoint flushes the memtables and takes the table files
// (hard links on the same file system, copies otherwise) and the WAL as of one
// moment while writes go on; opened, it holds every event up to its position
// and nothing after, with projections RocksDB recovers to the same moment.
//
// Verification opens the copy read-only and runs the whole-log audit
// (storage/log_audit.hpp: positions, every chain and head); only a backup that
// passed is `verified`, and only verified backups count towards `keep`.
//
// Erasure: a backup holds what the data dir held when it was taken. One taken
// after an erasure holds none of the erased values (the erasure left no file
// with them); one taken before still does, until it is pruned or deleted
// (docs/operations.md says what the operator must do).
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "events/errc.hpp"
#include "events/time.hpp"
#include "storage/event_log.hpp"

namespace leadbase::storage {

struct backup_info {
  uint64_t id = 0;
  global_position position = 0;  ///< the last event the backup holds
  millis created_at{0};
  uint64_t size_bytes = 0;       ///< bytes of the backup's files
  bool verified = false;
  std::string problem;           ///< why verification failed (empty: none, or not run yet)
};

/// A backup as one JSON object: {"backup_id","position","created_at",
/// "size_bytes","verified","problem"} (its backup.json, and each item of
/// GET /v1/admin/backups).
std::string backup_json(const backup_info& b);

/// Every complete backup in `root`, oldest first. A missing root is no
/// backup; a directory whose backup.json does not parse is skipped (logged).
result<std::vector<backup_info>> list_backups(const std::string& root);

/// Takes a checkpoint of `log` into root/<next id> and records it (not yet
/// verified). The log keeps serving meanwhile.
result<backup_info> create_backup(event_log& log, const std::string& root, millis now);

/// Opens backup `id` read-only, audits it, and records the outcome in its
/// backup.json. Returns the updated info (verified or with a problem); an
/// error only when the backup cannot be found or its record not written.
result<backup_info> verify_backup(const std::string& root, uint64_t id);

/// Deletes the oldest verified backups beyond the newest `keep` verified ones,
/// and unverified ones older than the newest verified one. Backups newer than
/// the newest verified one are kept (one may be being verified).
status prune_backups(const std::string& root, size_t keep);

/// Copies backup `id` (default: the newest verified one) into `data_dir`,
/// which must not exist or be empty.
result<backup_info> restore_backup(const std::string& root, std::optional<uint64_t> id, const std::string& data_dir);

} // namespace leadbase::storage
