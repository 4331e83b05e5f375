// GET /v1/feed/stream on a real server over a real log: history, live events,
// resume with Last-Event-ID (which wins over after), and the errors.
#include <catch2/catch.hpp>

#include <regex>
#include <thread>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include "http/api.hpp"
#include "http/server.hpp"
#include "storage/event_log.hpp"
#include "tests/http/test_client.hpp"
#include "tests/support/sample_events.hpp"
#include "tests/support/temp_dir.hpp"

using namespace leadbase;
using namespace leadbase::http;

namespace {

const char* audit_token = "tok-audit-0123456789";
const char* read_token = "tok-read-0123456789x";

struct feed_fixture {
  leadbase::test::temp_dir dir;
  std::unique_ptr<storage::event_log> log;
  storage::data_key key = storage::make_data_key();
  api_context ctx;
  std::unique_ptr<server> srv;
  lead_version next_version = 0;

  explicit feed_fixture(std::size_t max_subscribers = 1000) {
    storage::log_options lo;
    lo.dir = dir.str();
    lo.sync = false;
    auto opened = storage::event_log::open(lo);
    REQUIRE(opened);
    log = std::move(*opened);
    ctx.log = log.get();
    ctx.max_stream_subscribers = max_subscribers;
    auto tokens = token_table::from_entries({{"auditor", audit_token, {"audit"}}, {"sdr", read_token, {"read"}}});
    REQUIRE(tokens);
    server_options o;
    o.handle_signals = false;
    srv = std::make_unique<server>(o, make_api_router(ctx), std::move(*tokens));
    REQUIRE(srv->start().ok());
  }
  ~feed_fixture() { srv->stop(); }

  /// Appends one event of lead "u-1" (a signup first, then retryable failures).
  void append() {
    storage::append_request r;
    r.lead_id = "u-1";
    r.expected_version = next_version;
    r.key = key;
    r.new_key = next_version == 0;
    event e;
    e.meta.lead_id = "u-1";
    e.meta.event_id = "e-" + std::to_string(next_version + 1);
    e.meta.occurred_at = 1'800'000'000'000;
    if (next_version == 0) e.data = leadbase::test::sample_signup();
    else e.data = leadbase::test::sample_failure(true);
    r.events.push_back(std::move(e));
    std::vector<storage::append_request> reqs{std::move(r)};
    auto res = log->append_batch(reqs, 1'800'000'000'000 + static_cast<millis>(next_version));
    REQUIRE(res.at(0).code == errc::success);
    ++next_version;
  }
};

/// A raw connection that reads the endless response as it comes.
class sse_reader {
 public:
  sse_reader(uint16_t port, const std::string& target, const std::string& extra_headers = {}) : socket_(ioc_) {
    socket_.connect({boost::asio::ip::make_address("127.0.0.1"), port});
    std::string req = "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + audit_token +
                      "\r\nAccept: text/event-stream\r\n" + extra_headers + "\r\n";
    boost::asio::write(socket_, boost::asio::buffer(req));
  }
  /// Reads until `pred(received)` holds or 10 s pass; returns what arrived.
  template <class Pred>
  const std::string& read_until(Pred pred) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    socket_.non_blocking(true);
    while (!pred(data_) && std::chrono::steady_clock::now() < deadline) {
      char buf[4096];
      boost::system::error_code ec;
      size_t n = socket_.read_some(boost::asio::buffer(buf), ec);
      if (ec == boost::asio::error::would_block) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
        continue;
      }
      if (ec) break;
      data_.append(buf, n);
    }
    return data_;
  }
  /// The `id:` values received, in order.
  std::vector<uint64_t> ids() const {
    std::vector<uint64_t> out;
    std::regex re("(^|\n)id: ([0-9]+)\n");
    for (std::sregex_iterator it(data_.begin(), data_.end(), re), end; it != end; ++it)
      out.push_back(std::stoull((*it)[2].str()));
    return out;
  }

 private:
  boost::asio::io_context ioc_;
  boost::asio::ip::tcp::socket socket_;
  std::string data_;
};

bool has_ids(const std::string& data, std::initializer_list<int> ids) {
  for (int id : ids)
    if (data.find("id: " + std::to_string(id) + "\n") == std::string::npos) return false;
  return true;
}

} // namespace

TEST_CASE("feed stream: history, then live events, then resume with Last-Event-ID", "[ops]") {
  feed_fixture f;
  f.append();
  f.append();
  f.append();
  {
    sse_reader r(f.srv->port(), "/v1/feed/stream?after=1");
    auto& got = r.read_until([](const std::string& d) { return has_ids(d, {2, 3}); });
    CHECK(got.find("200 OK") != std::string::npos);
    CHECK(got.find("text/event-stream") != std::string::npos);
    CHECK(got.find("retry: 2000") != std::string::npos);
    CHECK(r.ids() == std::vector<uint64_t>{2, 3});
    // data: is the feed event JSON, with lead_id and position.
    CHECK(got.find("data: {\"position\":2,\"lead_id\":\"u-1\"") != std::string::npos);
    // live: committed after the client connected
    f.append();
    f.append();
    r.read_until([](const std::string& d) { return has_ids(d, {4, 5}); });
    CHECK(r.ids() == std::vector<uint64_t>{2, 3, 4, 5});
  }
  // Resume: Last-Event-ID wins over after.
  sse_reader again(f.srv->port(), "/v1/feed/stream?after=0", "Last-Event-ID: 4\r\n");
  again.read_until([](const std::string& d) { return has_ids(d, {5}); });
  CHECK(again.ids() == std::vector<uint64_t>{5});
}

TEST_CASE("feed stream: bad positions are 422, the scope is audit", "[ops]") {
  feed_fixture f;
  leadbase::http::test::test_client c{f.srv->port()};
  auto r = c.request("GET", "/v1/feed/stream?after=abc", {}, {{"Authorization", std::string("Bearer ") + audit_token}});
  CHECK(r.status == 422);
  leadbase::http::test::test_client c2{f.srv->port()};
  auto r2 = c2.request("GET", "/v1/feed/stream", {},
                       {{"Authorization", std::string("Bearer ") + audit_token}, {"Last-Event-ID", "-3"}});
  CHECK(r2.status == 422);
  leadbase::http::test::test_client c3{f.srv->port()};
  CHECK(c3.request("GET", "/v1/feed/stream", {}, {{"Authorization", std::string("Bearer ") + read_token}}).status == 403);
}

TEST_CASE("feed stream: the subscriber over the cap gets 503 with Retry-After, not a 200", "[ops][hostile]") {
  feed_fixture f{2};
  f.append();
  sse_reader one(f.srv->port(), "/v1/feed/stream");
  sse_reader two(f.srv->port(), "/v1/feed/stream");
  CHECK(one.read_until([](const std::string& d) { return has_ids(d, {1}); }).find("200 OK") != std::string::npos);
  CHECK(two.read_until([](const std::string& d) { return has_ids(d, {1}); }).find("200 OK") != std::string::npos);
  sse_reader third(f.srv->port(), "/v1/feed/stream");
  auto& got = third.read_until([](const std::string& d) { return d.find("\r\n\r\n{") != std::string::npos; });
  CHECK(got.rfind("HTTP/1.1 503", 0) == 0);
  CHECK(got.find("Retry-After: 1\r\n") != std::string::npos);
  CHECK(got.find("urn:leadbase:problem:overloaded") != std::string::npos);
}
