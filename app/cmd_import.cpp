// `leadbase import --config FILE signups.jsonl`: bulk-loads signups, one
// POST /v1/signups body per line, with a progress bar on stderr.
//
// Operation: opens the data dir of the config (the server must be stopped:
// RocksDB's lock refuses a second opener), starts the lead service in-process
// and appends each parsed line through it, exactly as the HTTP ingest does, with
// at most `concurrency` appends in flight. Overloaded or timed-out appends are
// retried (an append is idempotent by event_id). Re-running the same file is a
// resume: what is already in is answered as a duplicate and counted apart.
// Exit 0 when no line was rejected, 1 otherwise (the first rejected lines and
// why are listed on stderr), 2 on bad usage.
#include <unistd.h>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <mutex>
#include <random>
#include <thread>

#include "actors/service.hpp"
#include "app/commands.hpp"
#include "app/config.hpp"
#include "app/service_options.hpp"
#include "events/json.hpp"
#include "events/logging.hpp"

namespace leadbase::app {
namespace {

constexpr size_t max_listed_rejections = 10;

struct rejection {
  size_t line = 0;
  std::string reason;
};

/// Counters and the in-flight limit shared with the lead service's callbacks.
struct import_state {
  std::mutex mutex;
  std::condition_variable cv;
  size_t in_flight = 0;
  uint64_t accepted = 0, duplicate = 0, rejected = 0, retried = 0;
  std::vector<rejection> rejections;  // the first few, by line
  std::deque<std::pair<size_t, std::shared_ptr<append_command>>> retry;

  void reject(size_t line, std::string reason) {
    ++rejected;
    if (rejections.size() < max_listed_rejections * 4) rejections.push_back({line, std::move(reason)});
  }
};

std::string parse_reason(const parse_failure& f) {
  std::string out = f.code == errc::bad_request ? "bad_request: " : "validation: ";
  if (!f.errors.empty()) {
    out += f.errors.front().field + ": " + f.errors.front().message;
    if (f.errors.size() > 1) out += " (+" + std::to_string(f.errors.size() - 1) + " more)";
  } else {
    out += f.detail;
  }
  return out;
}

std::string run_id() {
  std::random_device rd;
  char buf[17];
  std::snprintf(buf, sizeof buf, "%08x%08x", rd(), rd());
  return std::string("import-") + buf;
}

class progress_bar {
 public:
  progress_bar(uint64_t total_bytes, bool enabled, bool tty)
      : total_(total_bytes), enabled_(enabled), tty_(tty), start_(clock::now()), last_(start_) {}

  void update(uint64_t bytes, size_t lines, const import_state& st, bool force = false) {
    if (!enabled_) return;
    const auto now = clock::now();
    const auto every = tty_ ? std::chrono::milliseconds(200) : std::chrono::milliseconds(5000);
    if (!force && now - last_ < every) return;
    last_ = now;
    const double secs = std::max(1e-3, std::chrono::duration<double>(now - start_).count());
    const double frac = total_ ? std::min(1.0, static_cast<double>(bytes) / static_cast<double>(total_)) : 0.0;
    constexpr int width = 30;
    std::string bar(static_cast<size_t>(frac * width), '#');
    bar.resize(width, '-');
    char line[256];
    std::snprintf(line, sizeof line, "[%s] %3.0f%%  %zu lines  %.0f/s  accepted %llu  duplicate %llu  rejected %llu",
                  bar.c_str(), frac * 100, lines, static_cast<double>(lines) / secs,
                  static_cast<unsigned long long>(st.accepted), static_cast<unsigned long long>(st.duplicate),
                  static_cast<unsigned long long>(st.rejected));
    std::cerr << (tty_ ? "\r" : "") << line << (tty_ ? "" : "\n") << std::flush;
  }
  void finish() {
    if (enabled_ && tty_) std::cerr << "\n";
  }

 private:
  using clock = std::chrono::steady_clock;
  uint64_t total_;
  bool enabled_, tty_;
  clock::time_point start_, last_;
};

/// Feeds parsed signups to the lead service with at most `concurrency`
/// appends in flight, and sends back what the service answered "later".
class import_feeder {
 public:
  import_feeder(lead_service& leads, size_t concurrency)
      : leads_(leads), concurrency_(concurrency), st_(std::make_shared<import_state>()) {}

  import_state& state() { return *st_; }

  void submit(size_t line_no, std::shared_ptr<append_command> cmd) {
    {
      std::unique_lock lock(st_->mutex);
      st_->cv.wait(lock, [&] { return st_->in_flight < concurrency_; });
      ++st_->in_flight;
    }
    append_command copy = *cmd;
    leads_.append(std::move(copy), [st = st_, line_no, cmd](append_outcome o) {
      std::lock_guard lock(st->mutex);
      --st->in_flight;
      if (o.code == errc::success) {
        ++(o.duplicate ? st->duplicate : st->accepted);
      } else if (o.code == errc::overloaded || o.code == errc::timeout) {
        ++st->retried;
        st->retry.emplace_back(line_no, cmd);
      } else {
        st->reject(line_no, std::string(to_string(o.code)) + ": " + o.message);
      }
      st->cv.notify_all();
    });
  }

  /// Resubmits what was answered overloaded or timed out; with `wait_all`,
  /// until nothing is in flight any more.
  void drain_retries(bool wait_all) {
    while (true) {
      std::pair<size_t, std::shared_ptr<append_command>> next;
      {
        std::unique_lock lock(st_->mutex);
        if (wait_all) st_->cv.wait(lock, [&] { return !st_->retry.empty() || st_->in_flight == 0; });
        if (st_->retry.empty()) return;
        next = std::move(st_->retry.front());
        st_->retry.pop_front();
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));  // the service said "later"
      submit(next.first, std::move(next.second));
    }
  }

  /// Every line of `in`: parsed, submitted, counted. Returns the lines read.
  size_t feed(std::istream& in, const std::string& correlation, progress_bar& bar, uint64_t total_bytes) {
    std::string text;
    size_t line_no = 0;
    uint64_t bytes = 0;
    while (std::getline(in, text)) {
      ++line_no;
      bytes += text.size() + 1;
      if (!text.empty() && text.back() == '\r') text.pop_back();
      if (text.find_first_not_of(" \t") == std::string::npos) continue;
      auto parsed = parse_signup(text);
      if (!parsed) {
        std::lock_guard lock(st_->mutex);
        st_->reject(line_no, parse_reason(parsed.err()));
      } else {
        auto cmd = std::make_shared<append_command>(std::move(*parsed));
        cmd->ev.meta.correlation_id = correlation;
        submit(line_no, std::move(cmd));
      }
      drain_retries(false);
      std::lock_guard lock(st_->mutex);
      bar.update(bytes, line_no, *st_);
    }
    drain_retries(true);
    std::lock_guard lock(st_->mutex);
    bar.update(total_bytes ? total_bytes : bytes, line_no, *st_, true);
    return line_no;
  }

 private:
  lead_service& leads_;
  size_t concurrency_;
  std::shared_ptr<import_state> st_;  // shared with callbacks that may outlive a failed run
};

/// The summary on stdout and the first rejected lines on stderr; the exit code.
int report(import_state& st, size_t lines, const std::string& correlation) {
  std::lock_guard lock(st.mutex);
  std::cout << "accepted " << st.accepted << ", duplicate " << st.duplicate << ", rejected " << st.rejected << " ("
            << lines << " lines, correlation_id " << correlation << ")" << std::endl;
  if (st.rejected == 0) return 0;
  std::sort(st.rejections.begin(), st.rejections.end(),
            [](const rejection& a, const rejection& b) { return a.line < b.line; });
  for (size_t i = 0; i < st.rejections.size() && i < max_listed_rejections; ++i)
    std::cerr << "line " << st.rejections[i].line << ": " << st.rejections[i].reason << "\n";
  if (st.rejected > max_listed_rejections)
    std::cerr << "... and " << (st.rejected - max_listed_rejections) << " more\n";
  std::cerr << "leadbase: " << st.rejected << " line(s) rejected" << std::endl;
  return 1;
}

} // namespace

int run_import(const import_args& args) {
  auto cfg = args.config_file.empty() ? parse_config(default_config_toml(), "built-in development config")
                                      : load_config(args.config_file);
  if (!cfg) return fail(cfg.err().message);
  if (args.data_dir) cfg->data_dir = *args.data_dir;
  if (args.concurrency == 0) {
    std::cerr << "leadbase: --concurrency: must be at least 1\n";
    return 2;
  }

  std::ifstream in_file;
  std::istream* in = &std::cin;
  uint64_t total_bytes = 0;
  if (args.input != "-") {
    in_file.open(args.input, std::ios::binary);
    if (!in_file) return fail("cannot read " + args.input);
    std::error_code ec;
    total_bytes = std::filesystem::file_size(args.input, ec);
    if (ec) total_bytes = 0;
    in = &in_file;
  }

  spdlog::set_level(spdlog::level::from_str(cfg->log.level == "info" ? "warn" : cfg->log.level));
  const std::string online = "send the signups to it with POST /v1/signups or POST /v1/events (scope ingest)";
  if (storage::data_dir_in_use(cfg->data_dir)) return fail(in_use(cfg->data_dir, online));
  auto event_log = storage::event_log::open(log_options_from(*cfg));
  if (!event_log) return fail(open_failure(cfg->data_dir, event_log.err().message, online));

  // As `serve` runs it: each signup is qualified (and its enrichment scheduled)
  // as it comes; work still owed at exit is in the log's `work` family and the
  // server picks it up on its next start.
  actors::service_options so = service_options_from(*cfg);
  so.max_in_flight = std::max<size_t>(cfg->limits.max_in_flight_appends, args.concurrency);
  auto started = actors::start_lead_service(**event_log, so);
  if (!started) return fail("cannot start the lead service: " + started.err().message);
  auto leads = std::move(*started);
  module_logger("app")->info("import into {} ({} appends in flight at most)", cfg->data_dir, args.concurrency);

  const std::string correlation = run_id();
  progress_bar bar(total_bytes, args.progress, ::isatty(STDERR_FILENO) != 0);
  import_feeder feeder(*leads, args.concurrency);
  const size_t lines = feeder.feed(*in, correlation, bar, total_bytes);
  bar.finish();
  const int code = report(feeder.state(), lines, correlation);
  leads.reset();
  event_log->reset();
  return code;
}

} // namespace leadbase::app
