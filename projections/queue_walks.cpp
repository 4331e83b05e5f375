#include "projections/queue_walks.hpp"

#include <algorithm>
#include <optional>

#include "storage/db_snapshot.hpp"
#include "storage/keys.hpp"

namespace leadbase::projections {
namespace {

constexpr char b64_chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::string base64url(std::string_view in) {
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (unsigned char c : in) {
    acc = (acc << 8) | c;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out.push_back(b64_chars[(acc >> bits) & 0x3f]);
    }
  }
  if (bits > 0) out.push_back(b64_chars[(acc << (6 - bits)) & 0x3f]);
  return out;
}

std::optional<std::string> from_base64url(std::string_view in) {
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    const char* p = std::find(b64_chars, b64_chars + 64, c);
    if (p == b64_chars + 64) return std::nullopt;
    acc = (acc << 6) | static_cast<uint32_t>(p - b64_chars);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  return out;
}

constexpr size_t walk_at = 2, after_at = walk_at + 8;

} // namespace

std::string encode_cursor(int sort, uint64_t walk, std::string_view after) {
  std::string raw = "w";
  raw.push_back(static_cast<char>('0' + sort));
  storage::keys::put_be64(raw, walk);
  raw.append(after);
  return base64url(raw);
}

result<queue_cursor> decode_cursor(std::string_view cursor, int sort) {
  auto raw = from_base64url(cursor);
  // value:8 and at least one byte of lead id after the walk
  if (!raw || raw->size() < after_at + 9 || (*raw)[0] != 'w')
    return error{errc::validation, "not a cursor of this API (or of an older version of it): start the walk again"};
  if ((*raw)[1] != static_cast<char>('0' + sort)) return error{errc::validation, "the cursor was made for another sort"};
  queue_cursor c;
  c.walk = storage::keys::read_be64(*raw, walk_at);
  c.after = raw->substr(after_at);
  return c;
}

queue_walks::queue_walks(std::function<pinned()> take, walk_limits limits)
    : take_(std::move(take)), limits_(limits), ids_(std::random_device{}()) {
  limits_.max_walks = std::max<size_t>(limits_.max_walks, 1);
}

queue_walks::~queue_walks() = default;

queue_walks::pinned queue_walks::snapshot() const { return take_(); }

void queue_walks::drop_idle(std::chrono::steady_clock::time_point now) {
  for (auto it = walks_.begin(); it != walks_.end();) {
    if (now - it->second.used > limits_.idle)
      it = walks_.erase(it);
    else
      ++it;
  }
}

uint64_t queue_walks::keep(pinned snap) {
  const auto now = std::chrono::steady_clock::now();
  std::lock_guard<std::mutex> lock(mutex_);
  drop_idle(now);
  while (walks_.size() >= limits_.max_walks) {
    auto lru = std::min_element(walks_.begin(), walks_.end(),
                                [](const auto& a, const auto& b) { return a.second.used < b.second.used; });
    walks_.erase(lru);
  }
  uint64_t id = 0;
  while (id == 0 || walks_.count(id)) id = ids_();
  walks_.emplace(id, walk{std::move(snap), now});
  return id;
}

queue_walks::pinned queue_walks::find(uint64_t id) {
  const auto now = std::chrono::steady_clock::now();
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = walks_.find(id);
  if (it == walks_.end()) return nullptr;
  if (now - it->second.used > limits_.idle) {
    walks_.erase(it);
    return nullptr;
  }
  it->second.used = now;
  return it->second.snap;
}

void queue_walks::end_all() {
  std::map<uint64_t, walk> ended;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    ended.swap(walks_);
  }
  // The snapshots are released here, outside the lock.
}

size_t queue_walks::size() const {
  const auto now = std::chrono::steady_clock::now();
  std::lock_guard<std::mutex> lock(mutex_);
  return static_cast<size_t>(std::count_if(walks_.begin(), walks_.end(),
                                           [&](const auto& w) { return now - w.second.used <= limits_.idle; }));
}

} // namespace leadbase::projections
