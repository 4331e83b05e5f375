// Writes the binary seed corpus of the codec fuzz targets: stored events of
// every type (and their sealed personal bytes) into CORPUS/event_codec, and
// snapshots of folded histories into CORPUS/snapshot.
//   build-fuzz/fuzz/fuzz_seed_gen fuzz/corpus
// The JSON, HTTP and TOML seeds are text files written by hand.
#include <cstdio>
#include <string>
#include <vector>

#include "events/codec.hpp"
#include "events/lead_state.hpp"
#include "events/snapshot.hpp"
#include "tests/support/sample_events.hpp"

using namespace leadbase;
using leadbase::test::make_event;

namespace {

bool write(const std::string& path, const std::string& bytes) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) return false;
  bool ok = std::fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size();
  return std::fclose(f) == 0 && ok;
}

std::vector<event> history() {
  erased er;
  er.reason = "LGPD request 2026-0042";
  er.requested_by = "ops";
  unknown_event future;
  future.type_tag = 42;
  std::vector<event> es = {make_event("u-1", "e1", test::sample_signup(), 1),
                           make_event("u-1", "e2", test::sample_qualified(), 2),
                           make_event("u-1", "e3", test::sample_failure(true, 1), 3),
                           make_event("u-1", "e4", test::sample_enriched(1000, 10), 4),
                           make_event("u-1", "e5", test::sample_qualified(outcome::disqualified), 5),
                           make_event("u-1", "e6", test::sample_failure(false, 3, "not_found"), 6),
                           make_event("u-1", "e7", er, 7),
                           make_event("u-1", "e8", future, 8)};
  for (auto& e : es) {
    e.meta.digest.fill(static_cast<uint8_t>(e.meta.version));
    e.meta.prev_hash.fill(static_cast<uint8_t>(0xa0 + e.meta.version));
    e.meta.correlation_id = "c-" + std::to_string(e.meta.version);
  }
  return es;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: fuzz_seed_gen CORPUS_DIR\n");
    return 2;
  }
  const std::string dir = argv[1];
  bool ok = true;
  auto es = history();
  for (const auto& e : es) {
    std::string sealed = encode_personal(personal_of(e));
    std::string name = std::string(to_string(e.type())) + "-v" + std::to_string(e.meta.version);
    ok &= write(dir + "/event_codec/" + name, encode_event(e, sealed));
    ok &= write(dir + "/event_codec/personal-" + name, sealed);
  }
  lead_state s = initial("u-1");
  for (std::size_t i = 0; i < es.size(); ++i) {
    evolve(s, es[i]);
    if (i == 0 || i == 3 || i == 5 || i == es.size() - 1)
      ok &= write(dir + "/snapshot/after-v" + std::to_string(i + 1), encode_snapshot(s));
  }
  ok &= write(dir + "/snapshot/initial", encode_snapshot(initial("u-0")));
  if (!ok) std::fprintf(stderr, "fuzz_seed_gen: cannot write under %s\n", dir.c_str());
  return ok ? 0 : 1;
}
