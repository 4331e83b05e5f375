// A full disk never aborts the process, on a real small file system: a tmpfs
// mounted over the server's data directory (needs root; where mounting is not
// allowed the test says so and does nothing). Filled up: an ingest answers 5xx
// and the server stays up, an erasure answers 503 with Retry-After before it
// changes anything, and once space is freed the log writes again without a
// restart. Stopped on the full disk it exits cleanly; start-up and verify on
// it exit 1 with one line, where RocksDB used to abort (SIGABRT).
#include <sys/mount.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <thread>

#include "tests/e2e/checks.hpp"

using namespace leadbase::e2e;
namespace fs = std::filesystem;

namespace {

/// A tmpfs of `size` mounted at `dir` while it lives.
class small_fs {
 public:
  small_fs(fs::path dir, const char* size) : dir_(std::move(dir)) {
    fs::create_directories(dir_);
    const std::string opts = std::string("size=") + size;
    if (::mount("tmpfs", dir_.c_str(), "tmpfs", 0, opts.c_str()) == 0) mounted_ = true;
    else why_ = std::strerror(errno);
  }
  ~small_fs() {
    if (mounted_) ::umount2(dir_.c_str(), MNT_DETACH);
  }
  small_fs(const small_fs&) = delete;
  small_fs& operator=(const small_fs&) = delete;

  bool mounted() const { return mounted_; }
  const std::string& why_not() const { return why_; }

  /// Writes a filler file until the file system is full.
  void fill() {
    std::ofstream out(dir_ / "filler", std::ios::binary | std::ios::app);
    const std::string block(64 * 1024, 'x');
    while (out.write(block.data(), static_cast<std::streamsize>(block.size())) && out.flush()) {
    }
    std::ofstream small(dir_ / "filler-tail", std::ios::binary | std::ios::app);  // the last few bytes
    while (small.put('x') && small.flush()) {
    }
  }
  void free_space() {
    fs::remove(dir_ / "filler");
    fs::remove(dir_ / "filler-tail");
  }

 private:
  fs::path dir_;
  bool mounted_ = false;
  std::string why_;
};

std::string signup(int i, const std::string& run) {
  return signup_body("full-" + run + "-" + std::to_string(i), "full-lead-" + run + "-" + std::to_string(i));
}

bool one_line(const std::string& text) {
  return !text.empty() && text.find('\n') == text.size() - 1;
}

} // namespace

TEST_CASE("a full disk never aborts the process: ingest 5xx, erase 503, start-up and verify exit 1 with one line",
          "[e2e][disk]") {
  server_options opts;
  opts.extra_toml = "[storage]\nmin_free_disk_mb = 1\n";  // the tmpfs is 8 MiB
  server_process srv(opts);
  small_fs disk(srv.data_dir(), "8m");  // declared after srv: unmounted before srv removes its files
  if (!disk.mounted()) {
    WARN("skipped: cannot mount a tmpfs here (" << disk.why_not() << "); the full-disk test needs root");
    return;
  }
  srv.start();
  auto c = srv.client();
  const std::string run = unique_suffix();
  for (int i = 0; i < 3; ++i) REQUIRE(c.post_json("/v1/signups", signup(i, run), ingest_token).status == 202);

  disk.fill();
  // Appends within a page the WAL already has may still fit; soon one does not.
  int status = 0, n = 3;
  for (; n < 400; ++n) {
    status = c.post_json("/v1/signups", signup(n, run), ingest_token).status;
    if (status != 202) break;
  }
  INFO("stderr: " << srv.stderr_text());
  CHECK(status >= 500);
  CHECK(c.get("/healthz").status == 200);  // still serving
  auto ready = c.get("/readyz");
  CHECK(ready.status == 503);
  CHECK(ready.body.find("cannot write") != std::string::npos);
  CHECK(ready.body.find(srv.data_dir().string()) == std::string::npos);

  auto erase = c.post_json("/v1/leads/full-lead-" + run + "-0/erase", R"({"reason":"lgpd request"})", admin_token);
  CHECK(erase.status == 503);
  CHECK(erase.has_header("Retry-After"));
  CHECK(erase.body.find("disk space") != std::string::npos);
  CHECK(c.get("/healthz").status == 200);

  // Space freed: the log writes again, without a restart.
  disk.free_space();
  bool ready_again = false;
  for (int i = 0; i < 300 && !ready_again; ++i) {
    ready_again = c.get("/readyz").status == 200;
    if (!ready_again) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  CHECK(ready_again);
  CHECK(c.post_json("/v1/signups", signup(1000, run), ingest_token).status == 202);
  CHECK(c.post_json("/v1/leads/full-lead-" + run + "-1/erase", R"({"reason":"lgpd request"})", admin_token).status ==
        200);

  // Full again: a stop is clean, start-up and verify refuse with one line.
  disk.fill();
  CHECK(srv.stop() == 0);
  disk.fill();  // what closing the log freed (obsolete WALs)
  bool started = true;
  std::string why;
  try {
    srv.start();
  } catch (const std::exception& e) {
    started = false;
    why = e.what();
  }
  REQUIRE_FALSE(started);
  CHECK(why.find("exited with code 1") != std::string::npos);
  const std::string err = srv.stderr_text();
  CHECK(one_line(err));
  CHECK(err.rfind("leadbase: cannot open the event log in ", 0) == 0);
  CHECK(err.find("not enough free disk space") != std::string::npos);

  auto v = run_leadbase({"verify", "--data", srv.data_dir().string(), "--config", srv.config_file().string()});
  CHECK(v.exit_code == 1);
  CHECK(one_line(v.err));
  CHECK(v.err.find("not enough free disk space") != std::string::npos);

  // And with room again, everything acknowledged is there and verify is clean.
  disk.free_space();
  auto clean = run_leadbase({"verify", "--data", srv.data_dir().string(), "--config", srv.config_file().string()});
  INFO(clean.out << clean.err);
  CHECK(clean.exit_code == 0);
}
