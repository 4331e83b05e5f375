#include "storage/event_log_impl.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "events/logging.hpp"
#include "storage/keys.hpp"

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

rocksdb::DB* event_log::raw_rocksdb() const noexcept { return impl_->db.get(); }
bool event_log::frozen() const noexcept { return impl_->frozen; }
rocksdb::ColumnFamilyHandle* event_log::cf(key_space k) const noexcept { return impl_->cf(k); }

} // namespace leadbase::storage
