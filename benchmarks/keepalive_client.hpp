#pragma once
// One HTTP/1.1 connection kept open across requests, as a browser's console
// keeps it: the benchmarks' second client beside bench::http_call (a new
// connection per request, which measures the kernel's TCP set-up as much as
// the server). Reconnects when the server closed the connection.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <strings.h>

#include "benchmarks/bench_util.hpp"

namespace bench {

class keepalive_client {
 public:
  explicit keepalive_client(uint16_t port, int timeout_ms = 10000) : port_(port), timeout_ms_(timeout_ms) {}
  ~keepalive_client() { close_fd(); }
  keepalive_client(const keepalive_client&) = delete;
  keepalive_client& operator=(const keepalive_client&) = delete;

  /// One request; the answer's status line, headers and body. Retries once on
  /// a fresh connection when the kept one turns out closed.
  http_answer call(const std::string& method, const std::string& path, const std::string& extra_headers = "",
                   const std::string& body = "") {
    for (int attempt = 0; attempt < 2; ++attempt) {
      if (fd_ < 0 && !connect_fd()) return {};
      std::string req = method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + extra_headers;
      if (!body.empty() || method == "POST") req += "Content-Length: " + std::to_string(body.size()) + "\r\n";
      req += "\r\n" + body;
      http_answer a;
      if (::send(fd_, req.data(), req.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(req.size()) && read_answer(a))
        return a;
      close_fd();
    }
    return {};
  }

 private:
  bool connect_fd() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd_ < 0) return false;
    timeval tv{timeout_ms_ / 1000, (timeout_ms_ % 1000) * 1000};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(port_);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
      close_fd();
      return false;
    }
    buf_.clear();
    return true;
  }

  void close_fd() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
    buf_.clear();
  }

  bool fill() {
    char chunk[16384];
    ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n <= 0) return false;
    buf_.append(chunk, static_cast<size_t>(n));
    return true;
  }

  /// Reads one answer framed by Content-Length (what the server sends for
  /// every non-streaming answer); keeps what follows it for the next one.
  bool read_answer(http_answer& a) {
    size_t end;
    while ((end = buf_.find("\r\n\r\n")) == std::string::npos)
      if (!fill()) return false;
    size_t length = 0;
    bool close_after = false;
    for (size_t at = buf_.find("\r\n"); at < end; ) {
      const size_t next = buf_.find("\r\n", at + 2);
      const std::string line = buf_.substr(at + 2, next - at - 2);
      if (strncasecmp(line.c_str(), "content-length:", 15) == 0) length = std::strtoul(line.c_str() + 15, nullptr, 10);
      if (strncasecmp(line.c_str(), "connection:", 11) == 0 && line.find("close") != std::string::npos)
        close_after = true;
      at = next;
    }
    while (buf_.size() < end + 4 + length)
      if (!fill()) return false;
    a.text = buf_.substr(0, end + 4 + length);
    buf_.erase(0, end + 4 + length);
    int code = 0;
    if (std::sscanf(a.text.c_str(), "HTTP/1.%*d %d", &code) == 1) a.status = code;
    if (close_after) close_fd();
    return a.status != 0;
  }

  uint16_t port_;
  int timeout_ms_;
  int fd_ = -1;
  std::string buf_;
};

} // namespace bench
