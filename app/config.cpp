// app/config.cpp — see config.hpp: the loader (parse_config, load_config,
// known_config_keys, validate_for_serve) and its sections; the TOML reader is
// app/config_reader.hpp, the defaults app/default_config.cpp, parse_listen
// app/listen_address.cpp.
#include "app/config_reader.hpp"

#include "app/config.hpp"
#include "events/json.hpp"
#include "events/text.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <initializer_list>
#include <limits>
#include <map>

#include <sys/stat.h>

namespace leadbase {

using namespace config_detail;

namespace {

// -- value checks -------------------------------------------------------------

bool is_http_url(const std::string& url) {
  for (std::string_view scheme : {"http://", "https://"}) {
    if (url.size() > scheme.size() && url.compare(0, scheme.size(), scheme) == 0)
      return url.find_first_of(" \t\r\n") == std::string::npos;
  }
  return false;
}

std::string trim_trailing_slashes(std::string url) {
  while (!url.empty() && url.back() == '/')
    url.pop_back();
  return url;
}

/// RFC 6750 b64token: what can follow "Bearer " in an Authorization header.
bool is_b64token(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
           || std::strchr("-._~+/=", c) != nullptr;
  });
}

std::string to_lower(std::string s) {
  for (char& c : s)
    if (c >= 'A' && c <= 'Z')
      c = static_cast<char>(c - 'A' + 'a');
  return s;
}

std::string check_domain(std::string& d) {
  d = to_lower(d);
  if (d.empty())
    return "must not be empty";
  bool ok = std::all_of(d.begin(), d.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-';
  });
  if (!ok || d.front() == '.' || d.back() == '.' || d.find("..") != std::string::npos)
    return "'" + d + "' is not a domain name (e.g. \"example.com\")";
  return {};
}

std::string check_country(std::string& c) {
  bool ok = c.size() == 2 && std::all_of(c.begin(), c.end(), [](char ch) {
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');
  });
  if (!ok)
    return "'" + c + "' is not an ISO 3166-1 alpha-2 country code (e.g. \"DE\")";
  for (char& ch : c)
    if (ch >= 'a' && ch <= 'z')
      ch = static_cast<char>(ch - 'a' + 'A');
  return {};
}

std::string scope_list() {
  std::string out;
  for (std::size_t i = 0; i < known_scopes.size(); ++i) {
    if (i > 0)
      out += i + 1 == known_scopes.size() ? " or " : ", ";
    out += known_scopes[i];
  }
  return out;
}

std::string log_level_list() {
  std::string out;
  for (std::size_t i = 0; i < known_log_levels.size(); ++i) {
    if (i > 0)
      out += ", ";
    out += known_log_levels[i];
  }
  return out;
}

// -- sections -----------------------------------------------------------------

void read_listen(reader& r, const toml::table& root, config& cfg) {
  auto* v = r.value<std::string>(root.get("listen"), "listen", "a string");
  if (!v)
    return;
  auto addr = parse_listen(v->get());
  if (!addr) {
    r.fail("listen", addr.err().message);
    return;
  }
  cfg.listen_host = addr->host;
  cfg.listen_port = addr->port;
}

void read_auth(reader& r, const toml::table& root, config& cfg) {
  const toml::table* auth = r.table(root, "", "auth");
  if (!auth)
    return;
  r.only(*auth, "auth", {"tokens"});
  const toml::node* n = auth->get("tokens");
  if (!n || r.failed())
    return;
  const toml::array* arr = n->as_array();
  if (!arr) {
    r.fail("auth.tokens", std::string{"expected an array of tables, got "} + type_name(*n));
    return;
  }
  std::vector<token_entry> tokens;
  std::map<std::string, std::string> names, secrets;  // value -> path of first use
  for (std::size_t i = 0; i < arr->size() && !r.failed(); ++i) {
    const std::string p = at_index("auth.tokens", i);
    const toml::node& item = *arr->get(i);
    const toml::table* t = item.as_table();
    if (!t) {
      r.fail(p, std::string{"expected a table, got "} + type_name(item));
      return;
    }
    r.only(*t, p, {"name", "token", "scopes"});
    for (std::string_view required : {"name", "token", "scopes"})
      if (!t->get(required))
        r.fail(join(p, required), "is required");
    token_entry e;
    if (!r.string(*t, p, "name", e.name, true) || !r.string(*t, p, "token", e.token, true))
      return;
    // The name is the person a claim, a contact or an assignment names.
    if (std::string why = person_name_error(e.name, json_limits::name); !why.empty()) {
      r.fail(p + ".name", why);
      return;
    }
    if (e.token.size() < 16) {
      r.fail(p + ".token", "must be at least 16 characters, got " + std::to_string(e.token.size()));
      return;
    }
    if (!is_b64token(e.token)) {
      r.fail(p + ".token", "may contain only letters, digits and - . _ ~ + / =");
      return;
    }
    std::vector<std::string> scopes;
    bool ok = r.strings(*t, p, "scopes", scopes, [](std::string& s) -> std::string {
      if (std::find(known_scopes.begin(), known_scopes.end(), s) != known_scopes.end())
        return {};
      return "unknown scope '" + s + "' (expected " + scope_list() + ")";
    });
    if (!ok)
      return;
    if (scopes.empty()) {
      r.fail(p + ".scopes", "must list at least one scope (" + scope_list() + ")");
      return;
    }
    e.scopes.insert(scopes.begin(), scopes.end());
    if (auto [it, fresh] = names.emplace(e.name, p); !fresh) {
      r.fail(p + ".name", "duplicate name '" + e.name + "' (also " + it->second + ")");
      return;
    }
    if (auto [it, fresh] = secrets.emplace(e.token, p); !fresh) {
      r.fail(p + ".token", "duplicate token (same as " + it->second + ")");
      return;
    }
    tokens.push_back(std::move(e));
  }
  if (!r.failed())
    cfg.tokens = std::move(tokens);
}

void read_url(reader& r, const toml::table& t, const std::string& path, std::string& out) {
  std::string url;
  if (!r.string(t, path, "base_url", url, true))
    return;
  if (!is_http_url(url)) {
    r.fail(path + ".base_url", "must be an http:// or https:// URL, got '" + url + "'");
    return;
  }
  out = trim_trailing_slashes(std::move(url));
}

void read_discovery(reader& r, const toml::table& root, config& cfg, const env_lookup& env) {
  const toml::table* d = r.table(root, "", "discovery");
  if (!d)
    return;
  r.only(*d, "discovery", {"instagram", "youtube", "retry", "breaker"});

  if (const toml::table* t = r.table(*d, "discovery", "instagram")) {
    const std::string p = "discovery.instagram";
    r.only(*t, p, {"base_url", "ig_user_id", "access_token", "media_limit", "timeout_ms",
                   "max_in_flight"});
    discovery::instagram_options o;
    read_url(r, *t, p, o.base_url);
    if (r.string(*t, p, "ig_user_id", o.ig_user_id, true) && !is_bare_key(o.ig_user_id))
      r.fail(p + ".ig_user_id", "may contain only letters, digits, '_' and '-'");
    r.string(*t, p, "access_token", o.access_token);
    r.integer(*t, p, "media_limit", o.media_limit, 1, 100);
    r.integer(*t, p, "timeout_ms", o.timeout_ms, 1);
    r.integer(*t, p, "max_in_flight", o.max_in_flight, 1);
    if (o.access_token.empty())
      if (const char* s = env("LEADBASE_INSTAGRAM_TOKEN"))
        o.access_token = s;
    cfg.discovery.instagram = std::move(o);
  }

  if (const toml::table* t = r.table(*d, "discovery", "youtube")) {
    const std::string p = "discovery.youtube";
    r.only(*t, p, {"base_url", "api_key", "timeout_ms", "max_in_flight"});
    discovery::youtube_options o;
    read_url(r, *t, p, o.base_url);
    r.string(*t, p, "api_key", o.api_key);
    r.integer(*t, p, "timeout_ms", o.timeout_ms, 1);
    r.integer(*t, p, "max_in_flight", o.max_in_flight, 1);
    if (o.api_key.empty())
      if (const char* s = env("LEADBASE_YOUTUBE_KEY"))
        o.api_key = s;
    cfg.discovery.youtube = std::move(o);
  }

  if (const toml::table* t = r.table(*d, "discovery", "retry")) {
    const std::string p = "discovery.retry";
    auto& o = cfg.discovery.retry;
    r.only(*t, p, {"base_ms", "cap_ms", "max_attempts"});
    r.integer(*t, p, "base_ms", o.base_ms, 1);
    r.integer(*t, p, "cap_ms", o.cap_ms, 1);
    r.integer(*t, p, "max_attempts", o.max_attempts, 1);
    if (!r.failed() && o.cap_ms < o.base_ms)
      r.fail(p + ".cap_ms", "must be >= base_ms (" + std::to_string(o.base_ms) + "), got "
                                + std::to_string(o.cap_ms));
  }

  if (const toml::table* t = r.table(*d, "discovery", "breaker")) {
    const std::string p = "discovery.breaker";
    auto& o = cfg.discovery.breaker;
    r.only(*t, p, {"window", "min_calls", "failure_ratio", "open_ms", "half_open_calls"});
    r.integer(*t, p, "window", o.window, 1);
    r.integer(*t, p, "min_calls", o.min_calls, 1);
    if (r.number(*t, p, "failure_ratio", o.failure_ratio)
        && !(o.failure_ratio > 0 && o.failure_ratio <= 1))
      r.fail(p + ".failure_ratio", "must be in (0, 1], got " + format_number(o.failure_ratio));
    r.integer(*t, p, "open_ms", o.open_ms, 1);
    r.integer(*t, p, "half_open_calls", o.half_open_calls, 1);
    if (!r.failed() && o.min_calls > o.window)
      r.fail(p + ".min_calls", "must be <= window (" + std::to_string(o.window) + "), got "
                                   + std::to_string(o.min_calls));
  }
}

void read_qualification(reader& r, const toml::table& root, config& cfg) {
  const toml::table* t = r.table(root, "", "qualification");
  if (!t)
    return;
  const std::string p = "qualification";
  auto& o = cfg.qualification;
  r.only(*t, p, {"disposable_domains_file", "internal_domains", "served_countries",
                 "rules_version"});
  r.string(*t, p, "disposable_domains_file", o.disposable_domains_file);
  r.strings(*t, p, "internal_domains", o.internal_domains, check_domain);
  r.strings(*t, p, "served_countries", o.served_countries, check_country);
  // The rules stamp this into every qualified event: the same rule as a
  // rules_version sent in an event (events/json_parse.cpp).
  if (r.string(*t, p, "rules_version", o.rules_version, true))
    if (std::string why = text_field_error(o.rules_version, json_limits::short_text); !why.empty())
      r.fail(p + ".rules_version", why);
}

void read_priority(reader& r, const toml::table& root, config& cfg) {
  const toml::table* t = r.table(root, "", "priority");
  if (!t)
    return;
  auto& o = cfg.priority;
  r.only(*t, "priority", {"weights", "thresholds", "refresh_days"});
  if (const toml::table* w = r.table(*t, "priority", "weights")) {
    const std::string p = "priority.weights";
    r.only(*w, p, {"reach", "engagement", "activity", "completeness"});
    std::pair<std::string_view, double*> weights[] = {{"reach", &o.weight_reach},
                                                      {"engagement", &o.weight_engagement},
                                                      {"activity", &o.weight_activity},
                                                      {"completeness", &o.weight_completeness}};
    for (auto& [key, field] : weights)
      if (r.number(*w, p, key, *field) && *field < 0)
        r.fail(join(p, key), "must be >= 0, got " + format_number(*field));
    if (!r.failed()
        && o.weight_reach + o.weight_engagement + o.weight_activity + o.weight_completeness <= 0)
      r.fail(p, "must not all be 0");
  }
  if (const toml::table* th = r.table(*t, "priority", "thresholds")) {
    const std::string p = "priority.thresholds";
    r.only(*th, p, {"a", "b"});
    for (auto [key, field] : {std::pair<std::string_view, double*>{"a", &o.threshold_a},
                              std::pair<std::string_view, double*>{"b", &o.threshold_b}})
      if (r.number(*th, p, key, *field) && !(*field >= 0 && *field <= 100))
        r.fail(join(p, key), "must be between 0 and 100, got " + format_number(*field));
    if (!r.failed() && o.threshold_b > o.threshold_a)
      r.fail(p + ".b", "must be <= a (" + format_number(o.threshold_a) + "), got "
                           + format_number(o.threshold_b));
  }
  r.integer(*t, "priority", "refresh_days", o.refresh_days, 1, 3650);
}

void read_extras(reader& r, const toml::table& root, config& cfg) {
  if (const toml::table* t = r.table(root, "", "actors")) {
    r.only(*t, "actors", {"passivate_after_ms", "max_live_leads", "snapshot_every"});
    r.integer(*t, "actors", "passivate_after_ms", cfg.actors.passivate_after_ms, 1);
    r.integer(*t, "actors", "max_live_leads", cfg.actors.max_live_leads, 1);
    r.integer(*t, "actors", "snapshot_every", cfg.actors.snapshot_every, 1);
  }
  if (const toml::table* t = r.table(root, "", "limits")) {
    r.only(*t, "limits", {"max_in_flight_appends", "max_connections", "io_threads", "header_timeout_ms",
                          "idle_timeout_ms", "max_body_bytes_in_flight", "max_output_bytes_in_flight",
                          "max_stream_subscribers"});
    r.integer(*t, "limits", "max_in_flight_appends", cfg.limits.max_in_flight_appends, 1);
    r.integer(*t, "limits", "max_connections", cfg.limits.max_connections, 1);
    r.integer(*t, "limits", "io_threads", cfg.limits.io_threads, 1, 256);
    r.integer(*t, "limits", "header_timeout_ms", cfg.limits.header_timeout_ms, 100, 600000);
    r.integer(*t, "limits", "idle_timeout_ms", cfg.limits.idle_timeout_ms, 100, 3600000);
    // At least one whole body (1 MiB, docs/http-api.md) must fit, else no POST could pass.
    r.integer(*t, "limits", "max_body_bytes_in_flight", cfg.limits.max_body_bytes_in_flight, 1 << 20);
    r.integer(*t, "limits", "max_output_bytes_in_flight", cfg.limits.max_output_bytes_in_flight, 1 << 20);
    r.integer(*t, "limits", "max_stream_subscribers", cfg.limits.max_stream_subscribers, 1);
  }
  if (const toml::table* t = r.table(root, "", "storage")) {
    r.only(*t, "storage", {"max_open_files", "min_free_disk_mb"});
    r.integer(*t, "storage", "max_open_files", cfg.storage.max_open_files, 64, 1000000);
    r.integer(*t, "storage", "min_free_disk_mb", cfg.storage.min_free_disk_mb, 0, 1048576);
  }
  if (const toml::table* t = r.table(root, "", "log")) {
    r.only(*t, "log", {"level"});
    std::string level = cfg.log.level;
    if (r.string(*t, "log", "level", level)) {
      if (std::find(known_log_levels.begin(), known_log_levels.end(), level)
          == known_log_levels.end())
        r.fail("log.level", "unknown level '" + level + "' (expected " + log_level_list() + ")");
      else
        cfg.log.level = level;
    }
  }
  if (const toml::table* t = r.table(root, "", "journal")) {
    r.only(*t, "journal", {"max_batch"});
    r.integer(*t, "journal", "max_batch", cfg.journal.max_batch, 1);
  }
  if (const toml::table* t = r.table(root, "", "backup")) {
    r.only(*t, "backup", {"dir", "keep"});
    r.string(*t, "backup", "dir", cfg.backup.dir, true);
    r.integer(*t, "backup", "keep", cfg.backup.keep, 1, 1000);
  }
  if (const toml::table* t = r.table(root, "", "work")) {
    r.only(*t, "work", {"claim_ttl_hours"});
    double hours = cfg.work.claim_ttl_hours;
    if (r.number(*t, "work", "claim_ttl_hours", hours)) {
      // At least a millisecond's worth, at most ten years.
      if (!(hours * 3600000.0 >= 1.0 && hours <= 87600.0))
        r.fail("work.claim_ttl_hours", "must be in (0, 87600], got " + format_number(hours));
      else
        cfg.work.claim_ttl_hours = hours;
    }
  }
}

/// A file named by a key must be a regular file of at most `max_bytes`: a
/// FIFO, a device (/dev/zero) or a runaway file would otherwise be read
/// whole into memory at start-up. Empty `path` = the key is unset.
status check_file_key(const std::string& key, const std::string& path, std::uintmax_t max_bytes) {
  if (path.empty())
    return ok();
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0)
    return {errc::validation, "config: " + key + ": cannot open '" + path + "': " + std::strerror(errno)};
  if (!S_ISREG(st.st_mode))
    return {errc::validation, "config: " + key + ": '" + path + "' is not a regular file"};
  if (static_cast<std::uintmax_t>(st.st_size) > max_bytes)
    return {errc::validation, "config: " + key + ": '" + path + "' is " + std::to_string(st.st_size)
                                  + " bytes; at most " + std::to_string(max_bytes) + " are read"};
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f)
    return {errc::validation, "config: " + key + ": cannot open '" + path + "': " + std::strerror(errno)};
  std::fclose(f);
  return ok();
}

/// An enabled provider (its section present) without its secret would fail
/// every enrichment with auth_error for good: refuse to start instead.
status check_provider_secrets(const discovery::options& d) {
  if (d.instagram) {
    if (d.instagram->access_token.empty())
      return {errc::validation,
              "config: discovery.instagram.access_token: [discovery.instagram] is enabled but has no access "
              "token; set access_token or the environment variable LEADBASE_INSTAGRAM_TOKEN (or remove the "
              "section to turn the provider off)"};
    if (d.instagram->ig_user_id.empty())
      return {errc::validation, "config: discovery.instagram.ig_user_id: [discovery.instagram] is enabled "
                                "but has no account id"};
  }
  if (d.youtube && d.youtube->api_key.empty())
    return {errc::validation,
            "config: discovery.youtube.api_key: [discovery.youtube] is enabled but has no API key; set "
            "api_key or the environment variable LEADBASE_YOUTUBE_KEY (or remove the section to turn the "
            "provider off)"};
  return ok();
}


} // namespace

// -- public -------------------------------------------------------------------

namespace {

result<config> parse_recording(std::string_view toml_text, std::string_view source_name, const env_lookup& env,
                               std::vector<std::string>* seen_keys) {
  const std::string source = source_name.empty() ? "<config>" : std::string{source_name};
  toml::parse_result parsed = toml::parse(toml_text, std::string_view{source});
  if (!parsed) {
    const toml::parse_error& e = parsed.error();
    return {errc::validation, "config: syntax error at " + source + ":"
                                  + std::to_string(e.source().begin.line) + ":"
                                  + std::to_string(e.source().begin.column) + ": "
                                  + std::string{e.description()}};
  }
  const toml::table& root = parsed.table();
  const env_lookup lookup = env ? env : env_lookup{[](const char* name) -> const char* {
    return std::getenv(name);
  }};

  config cfg;
  reader r;
  r.record_keys(seen_keys);
  r.only(root, "", {"data_dir", "listen", "auth", "durability", "discovery", "qualification",
                    "priority", "actors", "limits", "storage", "log", "journal", "backup", "work"});
  r.string(root, "", "data_dir", cfg.data_dir, true);
  read_listen(r, root, cfg);
  read_auth(r, root, cfg);
  if (const toml::table* t = r.table(root, "", "durability")) {
    r.only(*t, "durability", {"sync"});
    r.boolean(*t, "durability", "sync", cfg.sync);
  }
  read_discovery(r, root, cfg, lookup);
  read_qualification(r, root, cfg);
  read_priority(r, root, cfg);
  read_extras(r, root, cfg);
  if (r.failed())
    return {errc::validation, r.message()};
  return cfg;
}

} // namespace

result<config> parse_config(std::string_view toml_text, std::string_view source_name,
                            const env_lookup& env) {
  return parse_recording(toml_text, source_name, env, nullptr);
}

std::vector<std::string> known_config_keys() {
  // The loader itself, run once over a file with one token (so the token
  // table's keys are seen too) while its reader records every `only` list.
  std::vector<std::string> seen;
  (void)parse_recording("[auth]\ntokens = [{ name = \"n\", token = \"0123456789abcdef\", scopes = [\"read\"] }]\n",
                        "known_config_keys", [](const char*) -> const char* { return nullptr; }, &seen);
  std::sort(seen.begin(), seen.end());
  seen.erase(std::unique(seen.begin(), seen.end()), seen.end());
  // Only leaves: a table ("discovery", "priority.weights") is named by its keys.
  std::vector<std::string> leaves;
  for (const auto& k : seen) {
    bool is_table = std::any_of(seen.begin(), seen.end(), [&](const std::string& other) {
      return other.size() > k.size() && other.compare(0, k.size(), k) == 0
             && (other[k.size()] == '.' || other[k.size()] == '[');
    });
    if (!is_table)
      leaves.push_back(k);
  }
  return leaves;
}

result<config> load_config(const std::string& path, const env_lookup& env) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f)
    return {errc::validation, "config: cannot open '" + path + "': " + std::strerror(errno)};
  std::string text;
  char buf[8192];
  std::size_t n = 0;
  // Bounded: --config /dev/zero must not eat the memory.
  while (text.size() <= max_config_file_bytes && (n = std::fread(buf, 1, sizeof buf, f)) > 0)
    text.append(buf, n);
  const bool bad = std::ferror(f) != 0;
  const int read_errno = errno;
  std::fclose(f);
  if (bad)
    return {errc::validation, "config: cannot read '" + path + "': " + std::strerror(read_errno)};
  if (text.size() > max_config_file_bytes)
    return {errc::validation, "config: '" + path + "' is over " + std::to_string(max_config_file_bytes)
                                  + " bytes; that is no configuration file"};
  return parse_config(text, path, env);
}

status validate_for_serve(const config& cfg) {
  if (cfg.tokens.empty())
    return {errc::validation, "config: auth.tokens: serve needs at least one token, e.g. "
                              "[auth] tokens = [{ name = \"platform\", token = \"<16+ chars>\", "
                              "scopes = [\"ingest\"] }]"};
  if (auto s = check_file_key("qualification.disposable_domains_file",
                              cfg.qualification.disposable_domains_file, max_domain_list_bytes);
      !s)
    return s;
  if (auto s = check_provider_secrets(cfg.discovery); !s)
    return s;
  return ok();
}

} // namespace leadbase
