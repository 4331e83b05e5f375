// GET /v1/feed/stream?after=N (scope audit): the global feed as Server-Sent
// Events (docs/http-api.md). Each event is one message, `id:` = its global position and
// `data:` = the same JSON as an element of GET /v1/feed. A client resumes with
// `Last-Event-ID` (which wins over `after`).
//
// Operation
//   One feeder thread per router (started with the first subscriber) serves
//   every open stream: it reads read_global pages after each subscriber's
//   position and writes them as one chunk. It polls last_position() every
//   `poll` (new events go out within that time of their commit), and writes a
//   comment line (": heartbeat") to a stream that has been quiet for
//   `heartbeat` so proxies and clients see the connection alive.
//
// Backpressure: the feeder never blocks. event_stream::write refuses when the
//   stream's queue is full; the chunk is kept and retried when the stream
//   drains (on_drain wakes the feeder). A subscriber whose queue stays full for
//   `slow_consumer_timeout` is disconnected; it resumes with Last-Event-ID and
//   loses nothing. The journal is never involved: the feeder only reads.
//
// Subscribers are capped (api_context::max_stream_subscribers, config
//   limits.max_stream_subscribers): the next one is answered 503 + Retry-After
//   before any stream starts. Queued bytes also count in the server's output
//   budget (server_options::max_output_bytes_in_flight).
//
// Limitations: each subscriber reads the log on its own (no shared page cache).
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <condition_variable>
#include <list>
#include <mutex>
#include <thread>

#include "events/json.hpp"
#include "events/logging.hpp"
#include "http/api.hpp"
#include "audit/documents.hpp"
#include "http/problem.hpp"
#include "http/query_params.hpp"

namespace leadbase::http {
namespace {

struct feed_stream_options {
  std::chrono::milliseconds poll{100};
  std::chrono::milliseconds heartbeat{15000};
  std::chrono::milliseconds slow_consumer_timeout{30000};
  std::size_t page = 500;
  std::size_t max_chunk_bytes = 256 * 1024;
  std::size_t max_subscribers = 1000;
};

class feed_hub : public std::enable_shared_from_this<feed_hub> {
 public:
  feed_hub(const api_context* ctx, feed_stream_options opts) : ctx_(ctx), opts_(opts) {}
  ~feed_hub() { shutdown(); }

  /// Takes a subscriber's place before the 200 is sent, so that the one too
  /// many is answered 503 instead of a stream that closes at once. False when
  /// every place is taken (or the hub stops).
  bool reserve() {
    std::lock_guard lock(sync_->mutex);
    if (sync_->stopping || subs_.size() + reserved_ >= opts_.max_subscribers) return false;
    ++reserved_;
    return true;
  }
  void unreserve() {
    std::lock_guard lock(sync_->mutex);
    --reserved_;
  }

  /// Turns a reserve()d place into a subscriber. False when the hub stops.
  bool subscribe(std::shared_ptr<event_stream> stream, global_position after) {
    auto sub = std::make_shared<subscriber>();
    sub->stream = stream;
    sub->after = after;
    sub->last_write = clock::now();
    {
      std::lock_guard lock(sync_->mutex);
      --reserved_;
      if (sync_->stopping) return false;
      subs_.push_back(sub);
      if (!thread_.joinable()) thread_ = std::thread([this] { run(); });
    }
    // The callbacks hold only the wake-up signal, never the hub: a callback
    // running on the hub's own thread must not end up destroying the hub.
    std::shared_ptr<sync_state> sync = sync_;
    stream->on_drain([sync] { sync->wake(); });
    stream->on_close([sync] { sync->wake(); });
    wake();
    return true;
  }

  void shutdown() {
    {
      std::lock_guard lock(sync_->mutex);
      sync_->stopping = true;
    }
    sync_->cv.notify_all();
    if (thread_.joinable()) {
      // Destroyed from its own thread (see run()): that thread returns at its
      // next check; a joinable std::thread must not be destroyed (terminate).
      if (thread_.get_id() == std::this_thread::get_id()) thread_.detach();
      else thread_.join();
    }
    std::lock_guard lock(sync_->mutex);
    for (auto& s : subs_) s->stream->close();
    subs_.clear();
  }

  void wake() { sync_->wake(); }

 private:
  using clock = std::chrono::steady_clock;
  struct subscriber {
    std::shared_ptr<event_stream> stream;
    global_position after = 0;       // last position handed to the stream
    std::string pending;             // a chunk the stream refused (queue full)
    global_position pending_last = 0;
    clock::time_point last_write;
    std::optional<clock::time_point> blocked_since;
  };

  /// Serves one subscriber; false when it is to be dropped.
  bool serve(subscriber& s, global_position head, clock::time_point now) {
    if (!s.stream->is_open()) return false;
    if (!s.pending.empty()) {
      if (!s.stream->write(s.pending)) {
        if (!s.blocked_since) s.blocked_since = now;
        if (now - *s.blocked_since > opts_.slow_consumer_timeout) {
          module_logger("http")->info("feed stream: a consumer stayed {} s behind a full queue; disconnected",
                                      std::chrono::duration_cast<std::chrono::seconds>(opts_.slow_consumer_timeout).count());
          s.stream->close();
          return false;
        }
        return true;
      }
      s.blocked_since.reset();
      s.after = s.pending_last;
      s.pending.clear();
      s.last_write = now;
    }
    while (s.after < head && s.pending.empty()) {
      // A damaged event is sent as a damaged entry (audit/documents.hpp), never a stuck stream.
      auto page = ctx_->log->read_global(s.after, opts_.page, storage::event_log::hashes::compute,
                                         storage::on_damage::mark);
      if (!page) {
        module_logger("http")->warn("feed stream: reading after position {} failed: {}", s.after, page.err().message);
        return true;  // retried on the next round
      }
      if (page->empty()) break;
      std::string chunk;
      global_position last = s.after;
      for (const auto& e : *page) {
        rapidjson::StringBuffer buf;
        json_writer w(buf);
        audit::render_feed_entry(w, e);
        chunk += sse_message(std::to_string(e.ev.meta.position), "", buf.GetString());
        last = e.ev.meta.position;
        if (chunk.size() >= opts_.max_chunk_bytes) break;
      }
      if (s.stream->write(chunk)) {
        s.after = last;
        s.last_write = now;
      } else {
        if (!s.stream->is_open()) return false;
        s.pending = std::move(chunk);
        s.pending_last = last;
        s.blocked_since = now;
      }
    }
    if (s.pending.empty() && now - s.last_write >= opts_.heartbeat) {
      if (s.stream->write(": heartbeat\n\n")) s.last_write = now;
    }
    return true;
  }

  void run() {
    // Copies, not members: the hub's last reference can be dropped on this
    // thread (when `subs` releases a stream whose owners end up releasing the
    // route that holds the hub); the loop then ends at the check below
    // without touching the destroyed hub.
    const std::shared_ptr<sync_state> sync = sync_;
    const auto poll = opts_.poll;
    while (true) {
      std::vector<std::shared_ptr<subscriber>> subs;
      {
        std::unique_lock lock(sync->mutex);
        sync->cv.wait_for(lock, poll, [&] { return sync->stopping || sync->woken; });
        sync->woken = false;
        if (sync->stopping) return;
        subs.assign(subs_.begin(), subs_.end());
      }
      const global_position head = ctx_->log->last_position();
      const auto now = clock::now();
      std::vector<std::shared_ptr<subscriber>> dropped;
      for (auto& s : subs)
        if (!serve(*s, head, now)) dropped.push_back(s);
      if (!dropped.empty()) {
        std::lock_guard lock(sync_->mutex);
        for (auto& d : dropped) subs_.remove(d);
      }
    }
  }

  const api_context* ctx_;  // ctx_->log is read when serving, so the app may set it after routing
  feed_stream_options opts_;
  /// The lock, the condition and the flags, shared with the streams' callbacks.
  struct sync_state {
    std::mutex mutex;
    std::condition_variable cv;
    bool stopping = false, woken = false;
    void wake() {
      {
        std::lock_guard lock(mutex);
        woken = true;
      }
      cv.notify_all();
    }
  };
  std::shared_ptr<sync_state> sync_ = std::make_shared<sync_state>();
  std::list<std::shared_ptr<subscriber>> subs_;
  std::size_t reserved_ = 0;  ///< places taken by requests whose stream is starting
  std::thread thread_;
};

void get_feed_stream(api_context& ctx, const std::shared_ptr<feed_hub>& hub, request& req, responder respond) {
  if (ctx.log == nullptr) return respond(problem_response(problem_kind::overloaded, "the log is not open"));
  uint64_t after = 0;  // a query parameter's number until it is read as a position
  if (!req.last_event_id().empty()) {
    auto position = parse_uint(req.last_event_id());
    if (!position)
      return respond(to_response(validation_problem("Last-Event-ID", "must be a non-negative integer (a position)")));
    after = *position;
  } else if (auto p = uint_param(req, "after", after)) {
    return respond(to_response(*p));
  }
  response head;
  head.content_type = "text/event-stream";
  head.set_header("Cache-Control", "no-cache");
  head.set_header("X-Accel-Buffering", "no");
  if (!hub->reserve())
    return respond(problem_response(problem_kind::overloaded, "too many feed stream subscribers"));
  auto stream = respond.start_stream(std::move(head));
  if (!stream) return hub->unreserve();
  // Tells EventSource to reconnect after 2 s; its first bytes also flush the head.
  stream->write("retry: 2000\n\n");
  if (!hub->subscribe(stream, after)) stream->close();  // the server is stopping
}

} // namespace

void add_feed_stream_routes(router& r, api_context& ctx) {
  // The hub lives as long as the route (the server's router); its thread starts
  // with the first subscriber.
  feed_stream_options opts;
  opts.max_subscribers = ctx.max_stream_subscribers;
  auto hub = std::make_shared<feed_hub>(&ctx, opts);
  r.add("GET", "/v1/feed/stream", scope::audit,
        [&ctx, hub](request& q, responder s) { get_feed_stream(ctx, hub, q, s); });
}

} // namespace leadbase::http
