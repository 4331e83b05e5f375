#pragma once
// A small synchronous HTTP/1.1 client for the http/ tests (Beast, blocking,
// with a timeout so that a broken server fails a test instead of hanging it).
#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "http/message.hpp"

namespace leadbase::http::test {

struct client_response {
  int status = 0;
  header_list headers;
  std::string body;
  bool keep_alive = false;
  std::string header(std::string_view name) const { return std::string{headers.get(name)}; }
};

class test_client {
 public:
  explicit test_client(uint16_t port, std::chrono::seconds timeout = std::chrono::seconds(10))
      : stream_(ioc_), timeout_(timeout) {
    stream_.expires_after(timeout_);
    boost::beast::error_code ec;
    stream_.async_connect(boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), port),
                          [&](boost::beast::error_code e) { ec = e; });
    run();
    if (ec) throw boost::system::system_error(ec, "connect");
  }

  /// Sends one request and reads the answer. Throws on I/O errors.
  client_response request(const std::string& method, const std::string& target, const std::string& body = {},
                          std::vector<std::pair<std::string, std::string>> headers = {}) {
    send(method, target, body, std::move(headers));
    return read(method == "HEAD");
  }

  void send(const std::string& method, const std::string& target, const std::string& body = {},
            std::vector<std::pair<std::string, std::string>> headers = {}) {
    namespace bhttp = boost::beast::http;
    bhttp::request<bhttp::string_body> req;
    req.method_string(method);
    req.target(target);
    req.version(11);
    req.set(bhttp::field::host, "127.0.0.1");
    for (auto& [k, v] : headers) req.set(k, v);
    req.body() = body;
    req.prepare_payload();
    stream_.expires_after(timeout_);
    boost::beast::error_code ec;
    bhttp::async_write(stream_, req, [&](boost::beast::error_code e, std::size_t) { ec = e; });
    run();
    if (ec) throw boost::system::system_error(ec, "write");
  }

  void write_raw(const std::string& bytes) {
    stream_.expires_after(timeout_);
    boost::beast::error_code ec;
    boost::asio::async_write(stream_, boost::asio::buffer(bytes), [&](boost::beast::error_code e, std::size_t) { ec = e; });
    run();
    if (ec) throw boost::system::system_error(ec, "write");
  }

  /// Reads one answer; `head_request`: the answer to a HEAD (a header only).
  client_response read(bool head_request = false) {
    namespace bhttp = boost::beast::http;
    bhttp::response_parser<bhttp::string_body> p;
    p.body_limit(64 * 1024 * 1024);
    p.skip(head_request);
    stream_.expires_after(timeout_);
    boost::beast::error_code ec;
    bhttp::async_read(stream_, buffer_, p, [&](boost::beast::error_code e, std::size_t) { ec = e; });
    run();
    if (ec) throw boost::system::system_error(ec, "read");
    auto& res = p.get();
    client_response out;
    out.status = static_cast<int>(res.result_int());
    for (const auto& f : res)
      out.headers.add(std::string(f.name_string().data(), f.name_string().size()),
                      std::string(f.value().data(), f.value().size()));
    out.body = res.body();
    out.keep_alive = res.keep_alive();
    return out;
  }

  /// True when the server closed the connection (EOF or reset) within the timeout.
  bool closed_by_peer() {
    char c;
    boost::beast::error_code ec;
    if (buffer_.size() > 0) return false;
    stream_.expires_after(timeout_);
    stream_.async_read_some(boost::asio::buffer(&c, 1), [&](boost::beast::error_code e, std::size_t) { ec = e; });
    run();
    return ec == boost::asio::error::eof || ec == boost::asio::error::connection_reset;
  }

  void close() {
    boost::beast::error_code ec;
    stream_.socket().shutdown(boost::asio::ip::tcp::socket::shutdown_both, ec);
    stream_.close();
  }

 private:
  void run() {
    ioc_.restart();
    ioc_.run();
  }

  boost::asio::io_context ioc_;
  boost::beast::tcp_stream stream_;
  boost::beast::flat_buffer buffer_;
  std::chrono::seconds timeout_;
};

}  // namespace leadbase::http::test
