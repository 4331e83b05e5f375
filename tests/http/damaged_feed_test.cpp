// GET /v1/feed and GET /v1/feed/stream over a log with a damaged event: both
// answer, and the event is an entry marked "damaged" at its position (with its
// lead and version), the events after it following as usual. A real server on
// a real log; the event is damaged directly through RocksDB.
#include <catch2/catch.hpp>

#include <thread>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <rapidjson/document.h>

#include "http/api.hpp"
#include "http/server.hpp"
#include "tests/http/test_client.hpp"
#include "tests/projections/projection_fixture.hpp"
#include "tests/support/tamper.hpp"

using namespace leadbase;
using namespace leadbase::http;

namespace {

const char* audit_token = "tok-audit-0123456789";

struct damaged_log_server {
  leadbase::test::log_fixture f;
  api_context ctx;
  std::unique_ptr<server> srv;

  damaged_log_server() {
    for (const char* id : {"u-a", "u-b", "u-c"}) f.append_lead(leadbase::test::spec(id));  // 2 events each
    leadbase::test::corrupt_event(*f.log, "u-b", 1, leadbase::test::unverifiable);  // position 3
    f.close();
    f.open();
    ctx.log = f.log.get();
    auto tokens = token_table::from_entries({{"auditor", audit_token, {"audit"}}});
    REQUIRE(tokens);
    server_options o;
    o.handle_signals = false;
    srv = std::make_unique<server>(o, make_api_router(ctx), std::move(*tokens));
    REQUIRE(srv->start().ok());
  }
  ~damaged_log_server() { srv->stop(); }
};

} // namespace

TEST_CASE("GET /v1/feed marks a damaged event in its place and answers 200", "[ops][damage]") {
  damaged_log_server s;
  leadbase::http::test::test_client c{s.srv->port()};
  auto r = c.request("GET", "/v1/feed?after=0&limit=100", {}, {{"Authorization", std::string("Bearer ") + audit_token}});
  INFO(r.body);
  REQUIRE(r.status == 200);
  rapidjson::Document d;
  d.Parse(r.body.c_str());
  REQUIRE(d.IsObject());
  const auto& events = d["events"];
  REQUIRE(events.Size() == 6);
  for (rapidjson::SizeType i = 0; i < events.Size(); ++i) {
    INFO("entry " << i);
    CHECK(events[i]["position"].GetUint64() == i + 1);
    CHECK(events[i].HasMember("damaged") == (i == 2));
  }
  CHECK(std::string(events[2]["lead_id"].GetString()) == "u-b");
  CHECK(events[2]["version"].GetUint64() == 1);
  CHECK(events[2]["damaged"].GetBool());
  CHECK(std::string(events[2]["error"].GetString()).find("verification") != std::string::npos);
  CHECK(d["next_after"].GetUint64() == 6);
}

TEST_CASE("GET /v1/feed/stream sends a damaged event as a marked entry and goes on", "[ops][damage]") {
  damaged_log_server s;
  boost::asio::io_context ioc;
  boost::asio::ip::tcp::socket socket(ioc);
  socket.connect({boost::asio::ip::make_address("127.0.0.1"), s.srv->port()});
  const std::string req = std::string("GET /v1/feed/stream?after=0 HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ") +
                          audit_token + "\r\nAccept: text/event-stream\r\n\r\n";
  boost::asio::write(socket, boost::asio::buffer(req));
  std::string got;
  socket.non_blocking(true);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (got.find("id: 6\n") == std::string::npos && std::chrono::steady_clock::now() < deadline) {
    char buf[4096];
    boost::system::error_code ec;
    const size_t n = socket.read_some(boost::asio::buffer(buf), ec);
    if (ec == boost::asio::error::would_block) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      continue;
    }
    if (ec) break;
    got.append(buf, n);
  }
  INFO(got);
  CHECK(got.find("id: 6\n") != std::string::npos);
  CHECK(got.find("id: 3\ndata: {\"position\":3,\"lead_id\":\"u-b\",\"version\":1,\"damaged\":true") != std::string::npos);
}
