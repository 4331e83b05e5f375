#include "projections/stats_codec.hpp"

#include "storage/keys.hpp"

namespace leadbase::stats_codec {
namespace {

/// 2 appends the work figures to each value (a summary's stage and first
/// contact, the totals' work counters, a bucket's work facts). Values of
/// format 1 still decode (the work figures zero) so that the stats serve
/// until the rebuild a new fingerprint asks for (stats_projection.cpp)
/// replaces them.
constexpr char format_version = 2;
constexpr char oldest_format = 1;

class writer {
 public:
  void u64(uint64_t v) { storage::keys::put_be64(out_, v); }
  void i64(int64_t v) { u64(static_cast<uint64_t>(v)); }
  void byte(uint8_t v) { out_.push_back(static_cast<char>(v)); }
  void str(std::string_view s) {
    u64(s.size());
    out_.append(s);
  }
  std::string take() { return std::move(out_); }

 private:
  std::string out_ = std::string(1, format_version);
};

class reader {
 public:
  explicit reader(std::string_view in) : in_(in) {
    ok_ = !in_.empty() && in_[0] >= oldest_format && in_[0] <= format_version;
    version_ = ok_ ? in_[0] : 0;
    pos_ = 1;
  }
  /// The value's format; the fields a format appended are read only when it has them.
  char version() const noexcept { return version_; }
  uint64_t u64() {
    if (!need(8)) return 0;
    uint64_t v = storage::keys::read_be64(in_, pos_);
    pos_ += 8;
    return v;
  }
  int64_t i64() { return static_cast<int64_t>(u64()); }
  uint8_t byte() { return need(1) ? static_cast<uint8_t>(in_[pos_++]) : 0; }
  std::string str() {
    const uint64_t n = u64();
    if (!need(n)) return {};
    std::string s(in_.substr(pos_, n));
    pos_ += n;
    return s;
  }
  /// Everything read, nothing left over.
  bool done() const noexcept { return ok_ && pos_ == in_.size(); }

 private:
  bool need(uint64_t n) {
    if (!ok_ || in_.size() - pos_ < n) ok_ = false;
    return ok_;
  }
  std::string_view in_;
  size_t pos_ = 0;
  bool ok_ = false;
  char version_ = 0;
};

std::string keyed(char gen, char kind, std::string_view rest) {
  std::string k;
  k.reserve(2 + rest.size());
  k.push_back(gen);
  k.push_back(kind);
  k.append(rest);
  return k;
}

} // namespace

char other_generation(char g) noexcept { return g == 'a' ? 'b' : 'a'; }

std::string totals_key(char gen) { return keyed(gen, 'g', {}); }
std::string lead_key(char gen, std::string_view lead_id) { return keyed(gen, 'l', lead_id); }
std::string minute_key(char gen, millis start) { return keyed(gen, 'm', storage::keys::be64(static_cast<uint64_t>(start))); }
std::string hour_key(char gen, millis start) { return keyed(gen, 'h', storage::keys::be64(static_cast<uint64_t>(start))); }
std::string generation_begin(char gen) { return std::string(1, gen); }
std::string generation_end(char gen) { return std::string(1, static_cast<char>(gen + 1)); }
millis bucket_start(std::string_view key) noexcept {
  return key.size() < 8 ? 0 : static_cast<millis>(storage::keys::read_be64(key, key.size() - 8));
}

std::string encode(const lead_summary& s) {
  writer w;
  w.i64(s.signup_at);
  w.i64(s.final_at);
  w.i64(s.enrichment_end_at);
  w.i64(s.coverage_micro);
  w.byte(static_cast<uint8_t>(s.status));
  w.byte(static_cast<uint8_t>(s.enrichment));
  w.byte(static_cast<uint8_t>(s.team));
  w.str(s.fail_class);
  w.byte(static_cast<uint8_t>(s.stage));
  w.i64(s.first_contact_at);
  return w.take();
}

std::optional<lead_summary> decode_summary(std::string_view v) {
  reader r(v);
  lead_summary s;
  s.signup_at = r.i64();
  s.final_at = r.i64();
  s.enrichment_end_at = r.i64();
  s.coverage_micro = r.i64();
  s.status = static_cast<lead_status>(r.byte());
  s.enrichment = static_cast<enrichment_state>(r.byte());
  s.team = static_cast<queue_team>(r.byte());
  s.fail_class = r.str();
  if (r.version() >= 2) {
    s.stage = static_cast<work_stage>(r.byte() % work_stages);
    s.first_contact_at = r.i64();
  }
  if (!r.done()) return std::nullopt;
  return s;
}

std::string encode(const stats_counters& c) {
  writer w;
  for (uint64_t v : {uint64_t{c.position}, c.signups_total, c.enrichment_succeeded_total, c.enrichment_failed_total,
                     c.enrichment_pending, c.enrichment_retrying, c.coverage_leads, c.coverage_complete,
                     c.queue_sdr, c.queue_ldr, c.processing_count, c.leads})
    w.u64(v);
  w.i64(c.coverage_micro_sum);
  w.i64(c.processing_sum_ms);
  for (uint64_t v : c.leads_by_status) w.u64(v);
  for (uint64_t v : c.processing_buckets) w.u64(v);
  w.u64(c.failed_attempts_total.size());
  for (const auto& [key, n] : c.failed_attempts_total) {
    w.str(key.first);
    w.byte(key.second ? 1 : 0);
    w.u64(n);
  }
  for (uint64_t v : c.work_stage_leads) w.u64(v);
  for (uint64_t v : c.contacts_total) w.u64(v);
  w.u64(c.claims_expired_total);
  for (uint64_t v : c.first_contact_buckets) w.u64(v);
  w.i64(c.first_contact_sum_ms);
  w.u64(c.first_contact_count);
  return w.take();
}

std::optional<stats_counters> decode_counters(std::string_view v) {
  reader r(v);
  stats_counters c;
  c.position = r.u64();
  for (uint64_t* f : {&c.signups_total, &c.enrichment_succeeded_total, &c.enrichment_failed_total,
                      &c.enrichment_pending, &c.enrichment_retrying, &c.coverage_leads, &c.coverage_complete,
                      &c.queue_sdr, &c.queue_ldr, &c.processing_count, &c.leads})
    *f = r.u64();
  c.coverage_micro_sum = r.i64();
  c.processing_sum_ms = r.i64();
  for (uint64_t& x : c.leads_by_status) x = r.u64();
  for (uint64_t& x : c.processing_buckets) x = r.u64();
  const uint64_t n = r.u64();
  for (uint64_t i = 0; i < n && i < 100000; ++i) {
    std::string cls = r.str();
    const bool final = r.byte() != 0;
    c.failed_attempts_total[{std::move(cls), final}] = r.u64();
  }
  if (r.version() >= 2) {
    for (uint64_t& x : c.work_stage_leads) x = r.u64();
    for (uint64_t& x : c.contacts_total) x = r.u64();
    c.claims_expired_total = r.u64();
    for (uint64_t& x : c.first_contact_buckets) x = r.u64();
    c.first_contact_sum_ms = r.i64();
    c.first_contact_count = r.u64();
  }
  if (!r.done()) return std::nullopt;
  return c;
}

std::string encode(const time_bucket& b) {
  writer w;
  for (int64_t v : {b.signups, b.succeeded, b.failed, b.processing_count, b.processing_sum_ms, b.contacts,
                    b.meetings_booked})
    w.i64(v);
  w.u64(b.failed_by_class.size());
  for (const auto& [cls, n] : b.failed_by_class) {
    w.str(cls);
    w.i64(n);
  }
  w.u64(b.processing_hist.size());
  for (const auto& [bin, n] : b.processing_hist) {
    w.u64(bin);
    w.i64(n);
  }
  w.i64(b.expired_claims);
  w.u64(b.contacts_by_outcome.size());
  for (const auto& [outcome, n] : b.contacts_by_outcome) {
    w.str(outcome);
    w.i64(n);
  }
  w.i64(b.first_contact_count);
  w.i64(b.first_contact_sum_ms);
  w.u64(b.first_contact_hist.size());
  for (const auto& [bin, n] : b.first_contact_hist) {
    w.u64(bin);
    w.i64(n);
  }
  return w.take();
}

std::optional<time_bucket> decode_bucket(std::string_view v) {
  reader r(v);
  time_bucket b;
  for (int64_t* f : {&b.signups, &b.succeeded, &b.failed, &b.processing_count, &b.processing_sum_ms, &b.contacts,
                     &b.meetings_booked})
    *f = r.i64();
  const uint64_t classes = r.u64();
  for (uint64_t i = 0; i < classes && i < 100000; ++i) {
    std::string cls = r.str();
    b.failed_by_class[std::move(cls)] = r.i64();
  }
  const uint64_t bins = r.u64();
  for (uint64_t i = 0; i < bins && i < 100000; ++i) {
    const auto bin = static_cast<uint16_t>(r.u64());
    b.processing_hist[bin] = r.i64();
  }
  if (r.version() >= 2) {
    b.expired_claims = r.i64();
    const uint64_t outcomes = r.u64();
    for (uint64_t i = 0; i < outcomes && i < 100000; ++i) {
      std::string outcome = r.str();
      b.contacts_by_outcome[std::move(outcome)] = r.i64();
    }
    b.first_contact_count = r.i64();
    b.first_contact_sum_ms = r.i64();
    const uint64_t fc_bins = r.u64();
    for (uint64_t i = 0; i < fc_bins && i < 100000; ++i) {
      const auto bin = static_cast<uint16_t>(r.u64());
      b.first_contact_hist[bin] = r.i64();
    }
  }
  if (!r.done()) return std::nullopt;
  return b;
}

} // namespace leadbase::stats_codec
