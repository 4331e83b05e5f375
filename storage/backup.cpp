#include "storage/backup.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <rocksdb/db.h>
#include <rocksdb/utilities/checkpoint.h>
#include <spdlog/spdlog.h>

#include "events/logging.hpp"
#include "storage/event_log_impl.hpp"
#include "storage/log_audit.hpp"
#include "storage/rocksdb_util.hpp"

namespace leadbase::storage {

namespace fs = std::filesystem;

namespace {

std::shared_ptr<spdlog::logger> blog() {
  static auto logger = module_logger("backup");
  return logger;
}

constexpr const char* record_name = "backup.json";

fs::path backup_dir(const std::string& root, uint64_t id) { return fs::path(root) / std::to_string(id); }

error io_error(const std::string& what, const std::error_code& ec) {
  return error{errc::storage_failure, what + ": " + ec.message()};
}

uint64_t bytes_under(const fs::path& dir) {
  uint64_t total = 0;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    std::error_code ec2;
    if (it->is_regular_file(ec2)) total += it->file_size(ec2);
  }
  return total;
}

} // namespace

std::string backup_json(const backup_info& b) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  w.StartObject();
  w.Key("backup_id");
  w.Uint64(b.id);
  w.Key("position");
  w.Uint64(b.position);
  w.Key("created_at");
  const std::string at = format_time(b.created_at);
  w.String(at.c_str(), static_cast<rapidjson::SizeType>(at.size()));
  w.Key("size_bytes");
  w.Uint64(b.size_bytes);
  w.Key("verified");
  w.Bool(b.verified);
  w.Key("problem");
  if (b.problem.empty())
    w.Null();
  else
    w.String(b.problem.c_str(), static_cast<rapidjson::SizeType>(b.problem.size()));
  w.EndObject();
  return buf.GetString();
}

namespace {

std::optional<backup_info> from_json(const std::string& text) {
  rapidjson::Document d;
  d.Parse(text.c_str(), text.size());
  if (d.HasParseError() || !d.IsObject()) return std::nullopt;
  auto u64 = [&d](const char* k) -> std::optional<uint64_t> {
    auto it = d.FindMember(k);
    if (it == d.MemberEnd() || !it->value.IsUint64()) return std::nullopt;
    return it->value.GetUint64();
  };
  auto id = u64("backup_id"), pos = u64("position"), size = u64("size_bytes");
  auto at = d.FindMember("created_at");
  auto ver = d.FindMember("verified");
  if (!id || !pos || !size || at == d.MemberEnd() || !at->value.IsString() || ver == d.MemberEnd() ||
      !ver->value.IsBool())
    return std::nullopt;
  auto created = parse_time(at->value.GetString());
  if (!created) return std::nullopt;
  backup_info b;
  b.id = *id;
  b.position = *pos;
  b.size_bytes = *size;
  b.created_at = *created;
  b.verified = ver->value.GetBool();
  auto pr = d.FindMember("problem");
  if (pr != d.MemberEnd() && pr->value.IsString()) b.problem = pr->value.GetString();
  return b;
}

/// Writes the record next to the backup's db/, atomically (temp file + rename).
status write_record(const fs::path& dir, const backup_info& b) {
  const fs::path tmp = dir / (std::string(record_name) + ".tmp");
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << backup_json(b) << "\n";
    out.flush();
    if (!out) return error{errc::storage_failure, "cannot write " + tmp.string()};
  }
  std::error_code ec;
  fs::rename(tmp, dir / record_name, ec);
  if (ec) return io_error("cannot write the backup record in " + dir.string(), ec);
  return ok();
}

std::optional<backup_info> read_record(const fs::path& dir) {
  std::ifstream in(dir / record_name, std::ios::binary);
  if (!in) return std::nullopt;
  std::stringstream ss;
  ss << in.rdbuf();
  return from_json(ss.str());
}

result<std::unique_ptr<event_log>> open_read_only(const fs::path& db_dir) {
  log_options lo;
  lo.dir = db_dir.string();
  lo.read_only = true;
  lo.block_cache_mb = 8;
  return event_log::open(lo);
}

} // namespace

result<std::vector<backup_info>> list_backups(const std::string& root) {
  std::vector<backup_info> out;
  std::error_code ec;
  if (!fs::exists(root, ec)) return out;
  for (fs::directory_iterator it(root, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.empty() || !std::all_of(name.begin(), name.end(), [](char c) { return c >= '0' && c <= '9'; }))
      continue;  // .tmp-<id> (in progress), or not ours
    auto rec = read_record(it->path());
    if (!rec || std::to_string(rec->id) != name) {
      blog()->warn("backup dir {} has no readable {}; skipped", it->path().string(), record_name);
      continue;
    }
    out.push_back(*rec);
  }
  if (ec) return io_error("cannot list the backups in " + root, ec);
  std::sort(out.begin(), out.end(), [](const backup_info& a, const backup_info& b) { return a.id < b.id; });
  return out;
}

result<backup_info> create_backup(event_log& log, const std::string& root, millis now) {
  std::error_code ec;
  fs::create_directories(root, ec);
  if (ec) return io_error("cannot create the backup dir " + root, ec);
  // The next id: past every id in use, complete or not.
  uint64_t id = 1;
  for (fs::directory_iterator it(root, ec), end; !ec && it != end; it.increment(ec)) {
    std::string name = it->path().filename().string();
    if (name.rfind(".tmp-", 0) == 0) name = name.substr(5);
    if (!name.empty() && std::all_of(name.begin(), name.end(), [](char c) { return c >= '0' && c <= '9'; }) &&
        name.size() < 19)
      id = std::max<uint64_t>(id, std::stoull(name) + 1);
  }
  if (ec) return io_error("cannot list the backups in " + root, ec);

  const fs::path tmp = fs::path(root) / (".tmp-" + std::to_string(id));
  fs::remove_all(tmp, ec);
  fs::create_directories(tmp, ec);
  if (ec) return io_error("cannot create " + tmp.string(), ec);
  auto cleanup = [&tmp] {
    std::error_code ignored;
    fs::remove_all(tmp, ignored);
  };

  rocksdb::Checkpoint* raw = nullptr;
  auto s = rocksdb::Checkpoint::Create(log_internals::of(log).db.get(), &raw);
  if (!s.ok()) {
    cleanup();
    return storage_error(s, "backup: checkpoint");
  }
  std::unique_ptr<rocksdb::Checkpoint> cp(raw);
  // log_size_for_flush 0: flush the memtables first, so the copy needs little WAL.
  s = cp->CreateCheckpoint((tmp / "db").string(), 0);
  if (!s.ok()) {
    cleanup();
    return storage_error(s, "backup: checkpoint");
  }

  backup_info b;
  b.id = id;
  b.created_at = now;
  {
    // Its position, as the copy holds it (not the live log's, which moved on).
    auto copy = open_read_only(tmp / "db");
    if (!copy) {
      cleanup();
      return error{copy.err().code, "backup: the copy does not open: " + copy.err().message};
    }
    b.position = (*copy)->last_position();
  }
  b.size_bytes = bytes_under(tmp / "db");
  if (auto st = write_record(tmp, b); !st) {
    cleanup();
    return st.err();
  }
  fs::rename(tmp, backup_dir(root, id), ec);
  if (ec) {
    cleanup();
    return io_error("backup: cannot move " + tmp.string() + " into place", ec);
  }
  blog()->info("backup {} taken: position {}, {} bytes", b.id, b.position, b.size_bytes);
  return b;
}

result<backup_info> verify_backup(const std::string& root, uint64_t id) {
  const fs::path dir = backup_dir(root, id);
  auto rec = read_record(dir);
  if (!rec) return error{errc::not_found, "no backup " + std::to_string(id) + " in " + root};
  backup_info b = *rec;
  auto copy = open_read_only(dir / "db");
  if (!copy) {
    b.verified = false;
    b.problem = "does not open: " + copy.err().message;
  } else {
    const auto report = audit_log(**copy, 1);
    if (!report.ok()) {
      b.verified = false;
      b.problem = std::to_string(report.problems) + " problem(s)" +
                  (report.reported.empty() ? std::string() : ", first: " + report.reported.front());
    } else if (report.head != b.position) {
      b.verified = false;
      b.problem = "holds events up to position " + std::to_string(report.head) + ", its record says " +
                  std::to_string(b.position);
    } else {
      b.verified = true;
      b.problem.clear();
    }
  }
  if (auto st = write_record(dir, b); !st) return st.err();
  if (b.verified)
    blog()->info("backup {} verified: every chain of its {} events intact", b.id, b.position);
  else
    blog()->error("backup {} failed verification: {}", b.id, b.problem);
  return b;
}

status prune_backups(const std::string& root, size_t keep) {
  auto all = list_backups(root);
  if (!all) return all.err();
  std::vector<uint64_t> verified;
  for (const auto& b : *all)
    if (b.verified) verified.push_back(b.id);
  if (verified.empty()) return ok();  // nothing proven good yet: delete nothing
  const uint64_t newest_verified = verified.back();
  const size_t keep_n = std::max<size_t>(keep, 1);
  const uint64_t oldest_kept = verified.size() > keep_n ? verified[verified.size() - keep_n] : verified.front();
  for (const auto& b : *all) {
    const bool old_verified = b.verified && b.id < oldest_kept;
    const bool failed_older = !b.verified && b.id < newest_verified;
    if (!old_verified && !failed_older) continue;
    std::error_code ec;
    fs::remove_all(backup_dir(root, b.id), ec);
    if (ec) return io_error("cannot delete backup " + std::to_string(b.id), ec);
    blog()->info("backup {} pruned (keep {})", b.id, keep_n);
  }
  return ok();
}

result<backup_info> restore_backup(const std::string& root, std::optional<uint64_t> id, const std::string& data_dir) {
  auto all = list_backups(root);
  if (!all) return all.err();
  const backup_info* chosen = nullptr;
  for (const auto& b : *all) {
    if (id ? b.id == *id : b.verified) chosen = &b;  // the last verified one wins when no id is given
  }
  if (!chosen)
    return error{errc::not_found, id ? "no backup " + std::to_string(*id) + " in " + root
                                     : "no verified backup in " + root};
  std::error_code ec;
  if (fs::exists(data_dir, ec) && !fs::is_empty(data_dir, ec))
    return error{errc::conflict, "the data dir " + data_dir + " is not empty; restore only into an empty or new dir"};
  fs::create_directories(data_dir, ec);
  if (ec) return io_error("cannot create " + data_dir, ec);
  fs::copy(backup_dir(root, chosen->id) / "db", data_dir, fs::copy_options::recursive, ec);
  if (ec) return io_error("cannot copy backup " + std::to_string(chosen->id) + " into " + data_dir, ec);
  blog()->info("backup {} (position {}) restored into {}", chosen->id, chosen->position, data_dir);
  return *chosen;
}

} // namespace leadbase::storage
