// Fuzz target: the TOML configuration loader (app/config.cpp, with toml++
// compiled header-only into it). parse_config is what load_config calls on the
// file's text; the environment is empty, so a provider's secret can only come
// from the text.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "app/config.hpp"
#include "fuzz/fuzz_check.hpp"

using namespace leadbase;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const env_lookup no_env = [](const char*) -> const char* { return nullptr; };
  auto cfg = parse_config(text, "fuzz.toml", no_env);
  if (!cfg) {
    FUZZ_CHECK(cfg.err().code == errc::validation, "a refused config with another errc");
    FUZZ_CHECK(cfg.err().message.rfind("config: ", 0) == 0, "a config error that does not start with 'config: '");
    return 0;
  }
  // validate_for_serve opens disposable_domains_file: not with a fuzzed path.
  if (cfg->qualification.disposable_domains_file.empty()) (void)validate_for_serve(*cfg);
  FUZZ_CHECK(cfg->listen_port != 0, "a config with listen port 0 was accepted");
  (void)parse_listen(text);
  return 0;
}
