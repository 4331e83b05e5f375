#include "storage/event_log_impl.hpp"

#include <rocksdb/write_batch.h>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "events/logging.hpp"
#include "storage/keys.hpp"
#include "storage/rocksdb_util.hpp"

namespace leadbase::storage {

std::shared_ptr<spdlog::logger> storage_log() {
  static auto logger = module_logger("storage");
  return logger;
}

std::string encode_head(const head& h) {
  std::string v = keys::be64(h.version);
  keys::put_be64(v, h.position);
  v.append(reinterpret_cast<const char*>(h.hash.data()), h.hash.size());
  return v;
}

std::optional<head> decode_head(std::string_view v) {
  if (v.size() != 48) return std::nullopt;
  head h;
  h.version = keys::read_be64(v, 0);
  h.position = keys::read_be64(v, 8);
  std::copy(v.begin() + 16, v.end(), reinterpret_cast<char*>(h.hash.data()));
  return h;
}

error not_a_lead_id() { return error{errc::validation, "not a valid lead id"}; }

event_log::event_log(std::unique_ptr<impl> p) : impl_(std::move(p)) {}
event_log::~event_log() = default;

void event_log::set_commit_listener(std::function<void(global_position)> listener) {
  impl_->commit_listener = std::move(listener);
}

global_position event_log::last_position() const noexcept {
  return impl_->last_position.load(std::memory_order_acquire);
}

rocksdb::DB* event_log::raw_rocksdb(raw_access) const noexcept { return impl_->db.get(); }

status event_log::write(rocksdb::WriteBatch& batch, std::string_view what) {
  auto s = impl_->db->Write(rocksdb::WriteOptions(), &batch);
  if (!s.ok()) return storage_error(s, what);
  return ok();
}

result<std::optional<std::string>> event_log::read_meta(std::string_view key) const {
  std::string v;
  auto s = impl_->db->Get(rocksdb::ReadOptions(), impl_->cf(key_space::meta), rocksdb::Slice(key.data(), key.size()), &v);
  if (s.IsNotFound()) return std::optional<std::string>{};
  if (!s.ok()) return storage_error(s, "read meta " + std::string(key));
  return std::optional<std::string>{std::move(v)};
}

status event_log::scan_meta(std::string_view begin, std::string_view end,
                            const std::function<void(std::string_view key, std::string_view value)>& each) const {
  const rocksdb::Slice end_s(end.data(), end.size());
  rocksdb::ReadOptions ro;
  ro.iterate_upper_bound = &end_s;
  std::unique_ptr<rocksdb::Iterator> it(impl_->db->NewIterator(ro, impl_->cf(key_space::meta)));
  for (it->Seek(rocksdb::Slice(begin.data(), begin.size())); it->Valid(); it->Next())
    each(it->key().ToStringView(), it->value().ToStringView());
  if (!it->status().ok()) return storage_error(it->status(), "scan meta " + std::string(begin));
  return ok();
}

status event_log::flush_all() {
  impl& d = *impl_;
  rocksdb::FlushOptions fo;
  fo.wait = true;
  auto s = d.db->Flush(fo, d.cfs);
  if (!s.ok()) return storage_error(s, "flush");
  s = d.write_marker();  // a memtable holds data again, appends or not (impl::memtables_hold_data)
  if (!s.ok()) return storage_error(s, "write after the flush");
  return ok();
}

bool event_log::compaction_pending() const {
  const impl& d = *impl_;
  uint64_t running = 0, pending = 0;
  if (d.db->GetIntProperty(rocksdb::DB::Properties::kNumRunningCompactions, &running) && running > 0) return true;
  for (auto* family : d.cfs)
    if (family && d.db->GetIntProperty(family, rocksdb::DB::Properties::kCompactionPending, &pending) && pending > 0)
      return true;
  return false;
}
bool event_log::frozen() const noexcept { return impl_->frozen; }
rocksdb::ColumnFamilyHandle* event_log::cf(key_space k) const noexcept { return impl_->cf(k); }

} // namespace leadbase::storage
