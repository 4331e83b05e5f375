// The e2e harness (see harness.hpp): child process management and a small
// HTTP/1.1 client over POSIX sockets.
#include "tests/e2e/harness.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <cctype>
#include <fstream>
#include <optional>
#include <random>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <rapidjson/error/en.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "app/config.hpp"

#ifndef LEADBASE_BIN
#error "LEADBASE_BIN must name the leadbase executable"
#endif

namespace leadbase::e2e {
namespace fs = std::filesystem;
using clock_type = std::chrono::steady_clock;

namespace {

bool iequal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  return true;
}

std::string trim(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && (s[b] == ' ' || s[b] == '\t')) ++b;
  while (e > b && (s[e - 1] == ' ' || s[e - 1] == '\t' || s[e - 1] == '\r')) --e;
  return std::string(s.substr(b, e - b));
}

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

int decode_status(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

/// Waits for `pid` up to `timeout`; returns the exit code or nullopt.
std::optional<int> wait_for(pid_t pid, std::chrono::milliseconds timeout) {
  auto deadline = clock_type::now() + timeout;
  for (;;) {
    int status = 0;
    pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) return decode_status(status);
    if (r < 0 && errno != EINTR) return -1;
    if (clock_type::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

std::string base_config(const fs::path& data_dir) {
  // The [auth] tokens of the built-in dev config (app/default_config.cpp), sync on,
  // no discovery provider (a provider whose section is absent is off).
  std::string dev = default_config_toml();
  auto b = dev.find("\n[auth]\n");
  auto e = dev.find("\n[durability]", b == std::string::npos ? 0 : b);
  std::string auth = (b != std::string::npos && e != std::string::npos) ? dev.substr(b + 1, e - b) : "";
  if (auth.find(ingest_token) == std::string::npos || auth.find(admin_token) == std::string::npos ||
      auth.find(ana_token) == std::string::npos) {
    auth =
        "[auth]\n"
        "tokens = [\n"
        "  { name = \"platform\", token = \"dev-platform-token-0001\", scopes = [\"ingest\"] },\n"
        "  { name = \"sdr-team\", token = \"dev-sdr-token-0001\", scopes = [\"read\"] },\n"
        "  { name = \"auditor\", token = \"dev-auditor-token-0001\", scopes = [\"read\", \"audit\"] },\n"
        "  { name = \"admin\", token = \"dev-admin-token-0001\", scopes = [\"admin\", \"read\", \"audit\", "
        "\"metrics\", \"work\"] },\n"
        "  { name = \"ana\", token = \"dev-ana-token-0001\", scopes = [\"read\", \"work\"] },\n"
        "  { name = \"bia\", token = \"dev-bia-token-0001\", scopes = [\"read\", \"work\"] },\n"
        "]\n";
  }
  std::string out = "# written by tests/e2e/harness.cpp\n";
  out += "data_dir = \"" + data_dir.string() + "\"\n";
  out += "listen = \"127.0.0.1:8080\"  # overridden by --listen\n\n";
  out += auth;
  out += "\n[durability]\nsync = true\n";
  return out;
}

std::atomic<uint64_t> unique_counter{0};

} // namespace

pid_t spawn_leadbase(const std::vector<std::string>& args, const fs::path& out_file, const fs::path& err_file) {
  int out = ::open(out_file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  int err = ::open(err_file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  int devnull = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (out < 0 || err < 0 || devnull < 0) throw std::runtime_error("cannot open the child's output files");
  std::vector<std::string> argv_s;
  argv_s.push_back(LEADBASE_BIN);
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);
  const pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid == 0) {
    // Child: only async-signal-safe calls until exec.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);
    ::dup2(devnull, 0);
    ::dup2(out, 1);
    ::dup2(err, 2);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  int saved = errno;
  ::close(out);
  ::close(err);
  ::close(devnull);
  if (pid < 0) throw std::runtime_error(std::string("fork: ") + std::strerror(saved));
  return pid;
}

// -- http_response ------------------------------------------------------------------

std::string http_response::header(std::string_view name) const {
  for (const auto& [k, v] : headers)
    if (iequal(k, name)) return v;
  return {};
}

bool http_response::has_header(std::string_view name) const {
  for (const auto& [k, v] : headers)
    if (iequal(k, name)) return true;
  return false;
}

// -- http_client --------------------------------------------------------------------

http_client::http_client(uint16_t port, std::chrono::milliseconds timeout) : port_(port), timeout_(timeout) {}

http_client::~http_client() { close(); }

http_client::http_client(http_client&& o) noexcept
    : port_(o.port_), timeout_(o.timeout_), fd_(o.fd_), buf_(std::move(o.buf_)) {
  o.fd_ = -1;
}

http_client& http_client::operator=(http_client&& o) noexcept {
  if (this != &o) {
    close();
    port_ = o.port_;
    timeout_ = o.timeout_;
    fd_ = o.fd_;
    buf_ = std::move(o.buf_);
    o.fd_ = -1;
  }
  return *this;
}

void http_client::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  buf_.clear();
}

void http_client::set_port(uint16_t port) {
  if (port != port_) close();
  port_ = port;
}

bool http_client::peer_closed(std::chrono::milliseconds wait) {
  if (fd_ < 0) return true;
  pollfd p{fd_, POLLIN, 0};
  int r = ::poll(&p, 1, static_cast<int>(wait.count()));
  if (r <= 0) return false;
  char c;
  ssize_t n = ::recv(fd_, &c, 1, MSG_PEEK | MSG_DONTWAIT);
  return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
}

void http_client::ensure_connected() {
  if (fd_ >= 0 && buf_.empty() && peer_closed(std::chrono::milliseconds(0))) close();
  if (fd_ >= 0) return;
  buf_.clear();
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
  int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port_);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    int e = errno;
    close();
    throw std::runtime_error("connect to 127.0.0.1:" + std::to_string(port_) + ": " + std::strerror(e));
  }
}

void http_client::send_all(const std::string& bytes, bool tolerate_errors) {
  size_t off = 0;
  auto deadline = clock_type::now() + timeout_;
  while (off < bytes.size()) {
    ssize_t n = ::send(fd_, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      off += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock_type::now()).count();
      if (left <= 0) throw std::runtime_error("write timed out");
      pollfd p{fd_, POLLOUT, 0};
      ::poll(&p, 1, static_cast<int>(left));
      // The server may have answered already (413) and stopped reading.
      if (tolerate_errors && (p.revents & (POLLIN | POLLHUP | POLLERR)) && !(p.revents & POLLOUT)) return;
      continue;
    }
    if (tolerate_errors) return;  // e.g. EPIPE/ECONNRESET after an early answer
    throw std::runtime_error(std::string("write: ") + std::strerror(errno));
  }
}

bool http_client::fill(clock_type::time_point deadline) {
  char tmp[65536];
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock_type::now()).count();
    if (left <= 0) throw std::runtime_error("read timed out");
    pollfd p{fd_, POLLIN, 0};
    int r = ::poll(&p, 1, static_cast<int>(std::min<long long>(left, 1000)));
    if (r < 0 && errno != EINTR) throw std::runtime_error(std::string("poll: ") + std::strerror(errno));
    if (r <= 0) continue;
    ssize_t n = ::recv(fd_, tmp, sizeof tmp, 0);
    if (n > 0) {
      buf_.append(tmp, static_cast<size_t>(n));
      return true;
    }
    if (n == 0) return false;
    if (errno == EINTR || errno == EAGAIN) continue;
    if (errno == ECONNRESET) return false;
    throw std::runtime_error(std::string("read: ") + std::strerror(errno));
  }
}

http_response http_client::read_response(const std::string& method) {
  auto deadline = clock_type::now() + timeout_;
  http_response res;
  for (;;) {  // skips 1xx answers
    size_t end;
    while ((end = buf_.find("\r\n\r\n")) == std::string::npos) {
      if (!fill(deadline)) {
        close();
        throw std::runtime_error(buf_.empty() ? "connection closed without an answer"
                                              : "connection closed in the middle of the header");
      }
    }
    std::string head = buf_.substr(0, end);
    buf_.erase(0, end + 4);
    std::istringstream lines(head);
    std::string line;
    std::getline(lines, line);
    // "HTTP/1.1 200 OK"
    if (line.rfind("HTTP/1.", 0) != 0 || line.size() < 12) throw std::runtime_error("bad status line: " + line);
    bool http10 = line.compare(0, 8, "HTTP/1.0") == 0;
    res = http_response{};
    res.status = std::atoi(line.c_str() + 9);
    while (std::getline(lines, line)) {
      auto colon = line.find(':');
      if (colon == std::string::npos) continue;
      res.headers.emplace_back(trim(std::string_view(line).substr(0, colon)),
                               trim(std::string_view(line).substr(colon + 1)));
    }
    if (res.status >= 100 && res.status < 200) continue;
    std::string conn = res.header("Connection");
    res.closed = http10 ? !iequal(conn, "keep-alive") : iequal(conn, "close");
    break;
  }
  bool no_body = method == "HEAD" || res.status == 204 || res.status == 304;
  std::string te = res.header("Transfer-Encoding");
  if (no_body) {
  } else if (!te.empty() && te.find("chunked") != std::string::npos) {
    for (;;) {
      size_t eol;
      while ((eol = buf_.find("\r\n")) == std::string::npos)
        if (!fill(deadline)) throw std::runtime_error("connection closed in a chunk header");
      size_t size = std::stoul(buf_.substr(0, eol), nullptr, 16);
      buf_.erase(0, eol + 2);
      if (size == 0) {
        // trailers until an empty line
        for (;;) {
          while ((eol = buf_.find("\r\n")) == std::string::npos)
            if (!fill(deadline)) throw std::runtime_error("connection closed in the trailer");
          bool empty = eol == 0;
          buf_.erase(0, eol + 2);
          if (empty) break;
        }
        break;
      }
      while (buf_.size() < size + 2)
        if (!fill(deadline)) throw std::runtime_error("connection closed in a chunk");
      res.body.append(buf_, 0, size);
      buf_.erase(0, size + 2);
    }
  } else if (res.has_header("Content-Length")) {
    size_t len = std::stoul(res.header("Content-Length"));
    while (buf_.size() < len)
      if (!fill(deadline)) throw std::runtime_error("connection closed in the body");
    res.body = buf_.substr(0, len);
    buf_.erase(0, len);
  } else {
    while (fill(deadline)) {
    }
    res.body = std::move(buf_);
    buf_.clear();
    res.closed = true;
  }
  if (res.closed) close();
  return res;
}

http_response http_client::request(const std::string& method, const std::string& target, const std::string& body,
                                   const header_pairs& headers) {
  ensure_connected();
  std::string req = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port_) + "\r\n";
  bool has_length = false;
  for (const auto& [k, v] : headers) {
    req += k + ": " + v + "\r\n";
    if (iequal(k, "Content-Length") || iequal(k, "Transfer-Encoding")) has_length = true;
  }
  if (!has_length && (!body.empty() || method == "POST" || method == "PUT" || method == "PATCH"))
    req += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  req += "\r\n";
  req += body;
  try {
    send_all(req, /*tolerate_errors=*/true);
    return read_response(method);
  } catch (...) {
    close();
    throw;
  }
}

http_response http_client::try_request(const std::string& method, const std::string& target,
                                       const std::string& body, const header_pairs& headers) noexcept {
  try {
    return request(method, target, body, headers);
  } catch (const std::exception& e) {
    close();
    http_response r;
    r.error = e.what();
    return r;
  } catch (...) {
    close();
    http_response r;
    r.error = "unknown error";
    return r;
  }
}

http_response http_client::raw(const std::string& bytes) {
  ensure_connected();
  try {
    send_all(bytes, /*tolerate_errors=*/true);
    return read_response("GET");
  } catch (...) {
    close();
    throw;
  }
}

http_response http_client::get(const std::string& target, const char* token, header_pairs headers) {
  if (token) headers.push_back(bearer(token));
  return request("GET", target, {}, headers);
}

http_response http_client::post_json(const std::string& target, const std::string& body, const char* token,
                                     header_pairs headers) {
  if (token) headers.push_back(bearer(token));
  headers.emplace_back("Content-Type", "application/json");
  return request("POST", target, body, headers);
}

// -- server_process -------------------------------------------------------------------

server_process::server_process(server_options opts) : opts_(std::move(opts)) {
  std::random_device rd;
  std::string name = "leadbase-e2e-" + std::to_string(::getpid()) + "-" + std::to_string(rd()) +
                     std::to_string(unique_counter.fetch_add(1));
  root_ = fs::temp_directory_path() / name;
  fs::create_directories(root_);
  const char* keep = std::getenv("LEADBASE_E2E_KEEP");
  keep_ = keep && *keep && std::string(keep) != "0";
}

server_process::~server_process() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    wait_for(pid_, std::chrono::seconds(30));
    pid_ = -1;
  }
  if (!keep_) {
    std::error_code ec;
    fs::remove_all(root_, ec);
  }
}

std::string server_process::stderr_text() const {
  return read_file(root_ / ("server-" + std::to_string(run_) + ".stderr"));
}

std::string server_process::stdout_text() const {
  return read_file(root_ / ("server-" + std::to_string(run_) + ".stdout"));
}

bool server_process::try_start_once(std::string& why, bool& port_taken) {
  port_taken = false;
  ++run_;
  port_ = free_port();
  std::vector<std::string> args{"serve"};
  if (!opts_.builtin_config) {
    args.push_back("--config");
    args.push_back(config_file().string());
  }
  args.insert(args.end(), {"--data", data_dir().string(), "--listen", "127.0.0.1:" + std::to_string(port_)});
  args.insert(args.end(), opts_.extra_args.begin(), opts_.extra_args.end());
  pid_ = spawn_leadbase(args, root_ / ("server-" + std::to_string(run_) + ".stdout"),
               root_ / ("server-" + std::to_string(run_) + ".stderr"));

  auto deadline = clock_type::now() + std::chrono::seconds(20);
  while (clock_type::now() < deadline) {
    int status = 0;
    pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      pid_ = -1;
      std::string err = stderr_text();
      port_taken = err.find("in use") != std::string::npos;
      why = "leadbase serve exited with code " + std::to_string(decode_status(status)) + " before /healthz answered;"
            " stderr:\n" + err;
      return false;
    }
    http_client c(port_, std::chrono::seconds(2));
    auto res = c.try_request("GET", "/healthz");
    if (res.status == 200) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
  }
  ::kill(pid_, SIGKILL);
  wait_for(pid_, std::chrono::seconds(30));
  pid_ = -1;
  why = "leadbase serve did not answer GET /healthz within 20 s; stderr:\n" + stderr_text();
  return false;
}

void server_process::start() {
  if (pid_ > 0) throw std::runtime_error("server already running");
  fs::create_directories(data_dir());
  if (!opts_.builtin_config) {
    std::ofstream cfg(config_file(), std::ios::trunc);
    cfg << base_config(data_dir()) << "\n" << opts_.extra_toml << "\n";
  }
  std::string why;
  for (int attempt = 0; attempt < 5; ++attempt) {
    bool port_taken = false;
    if (try_start_once(why, port_taken)) return;
    if (!port_taken) break;
  }
  throw std::runtime_error(why);
}

int server_process::stop() {
  if (pid_ <= 0) throw std::runtime_error("server not running");
  ::kill(pid_, SIGTERM);
  auto code = wait_for(pid_, std::chrono::seconds(60));
  if (!code) {
    ::kill(pid_, SIGKILL);
    wait_for(pid_, std::chrono::seconds(30));
    pid_ = -1;
    throw std::runtime_error("leadbase serve did not stop within 60 s of SIGTERM; stderr:\n" + stderr_text());
  }
  pid_ = -1;
  return *code;
}

void server_process::kill() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  wait_for(pid_, std::chrono::seconds(30));
  pid_ = -1;
}

// -- helpers --------------------------------------------------------------------------

process_result run_leadbase(const std::vector<std::string>& args, std::chrono::milliseconds timeout) {
  fs::path dir = fs::temp_directory_path();
  std::string stem = "leadbase-e2e-run-" + unique_suffix();
  fs::path out = dir / (stem + ".out"), err = dir / (stem + ".err");
  pid_t pid = spawn_leadbase(args, out, err);
  auto code = wait_for(pid, timeout);
  process_result r;
  if (!code) {
    ::kill(pid, SIGKILL);
    wait_for(pid, std::chrono::seconds(30));
    r.exit_code = -1;
  } else {
    r.exit_code = *code;
  }
  r.out = read_file(out);
  r.err = read_file(err);
  std::error_code ec;
  fs::remove(out, ec);
  fs::remove(err, ec);
  if (!code) r.err += "\n[harness: killed after the timeout]";
  return r;
}

uint16_t free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::runtime_error("socket");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = 0;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    throw std::runtime_error("bind port 0");
  }
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

rapidjson::Document parse_json(const std::string& text) {
  rapidjson::Document d;
  d.Parse(text.c_str(), text.size());
  if (d.HasParseError())
    throw std::runtime_error(std::string("not JSON (") + rapidjson::GetParseError_En(d.GetParseError()) +
                             " at " + std::to_string(d.GetErrorOffset()) + "): " + text.substr(0, 500));
  return d;
}

std::string signup_body(const std::string& event_id, const std::string& lead_id, const std::string& email,
                        const std::string& name, const std::string& occurred_at) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  w.StartObject();
  w.Key("event_id");
  w.String(event_id.c_str());
  w.Key("lead_id");
  w.String(lead_id.c_str());
  w.Key("occurred_at");
  w.String(occurred_at.c_str());
  w.Key("email");
  std::string e = email.empty() ? lead_id + "@exemplo.com.br" : email;
  w.String(e.c_str());
  w.Key("name");
  std::string n = name.empty() ? "Lead " + lead_id : name;
  w.String(n.c_str());
  w.EndObject();
  return buf.GetString();
}

std::string unique_suffix() {
  static const std::string base = [] {
    std::random_device rd;
    return std::to_string(::getpid()) + "-" + std::to_string(rd() % 1000000);
  }();
  return base + "-" + std::to_string(unique_counter.fetch_add(1));
}

std::vector<fs::path> files_containing(const fs::path& dir, const std::string& needle) {
  std::vector<fs::path> hits;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    std::error_code ec2;
    if (!it->is_regular_file(ec2)) continue;
    std::string bytes = read_file(it->path());
    if (bytes.find(needle) != std::string::npos) hits.push_back(it->path());
  }
  return hits;
}

} // namespace leadbase::e2e
