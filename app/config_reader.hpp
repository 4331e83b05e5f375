#pragma once
// app/config_reader.hpp — the typed TOML reader behind parse_config, and the
// key-path helpers its messages use. Included by app/config.cpp only.
//
// toml++ without exceptions. Debian's libtomlplusplus.so exports only the
// exception-mode parser (toml::v3::ex::parse), and its CMake target adds
// -DTOML_HEADER_ONLY=0 -DTOML_SHARED_LIB=1; so the one translation unit that
// includes this header compiles toml++ header-only in its noexcept ABI
// namespace (toml::v3::noex). No other translation unit may include toml++.
#undef TOML_HEADER_ONLY
#define TOML_HEADER_ONLY 1
#undef TOML_SHARED_LIB
#define TOML_SHARED_LIB 0
#undef TOML_EXCEPTIONS
#define TOML_EXCEPTIONS 0
#include <toml++/toml.h>

#include <algorithm>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

namespace leadbase::config_detail {

// -- key paths ----------------------------------------------------------------

bool is_bare_key(std::string_view k) {
  if (k.empty())
    return false;
  return std::all_of(k.begin(), k.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'
           || c == '-';
  });
}

/// A key as it would be written in TOML: bare if possible, else quoted.
std::string key_text(std::string_view k) {
  if (is_bare_key(k))
    return std::string{k};
  std::string out = "\"";
  for (char c : k) {
    if (c == '"' || c == '\\')
      out += '\\';
    out += c;
  }
  out += '"';
  return out;
}

std::string join(const std::string& prefix, std::string_view key) {
  return prefix.empty() ? key_text(key) : prefix + "." + key_text(key);
}

std::string at_index(const std::string& prefix, std::size_t i) {
  return prefix + "[" + std::to_string(i) + "]";
}

const char* type_name(const toml::node& n) {
  switch (n.type()) {
    case toml::node_type::table: return "a table";
    case toml::node_type::array: return "an array";
    case toml::node_type::string: return "a string";
    case toml::node_type::integer: return "an integer";
    case toml::node_type::floating_point: return "a float";
    case toml::node_type::boolean: return "a boolean";
    case toml::node_type::date: return "a date";
    case toml::node_type::time: return "a time";
    case toml::node_type::date_time: return "a date-time";
    case toml::node_type::none: break;
  }
  return "nothing";
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j)
    row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diag = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

std::string format_number(double d) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%g", d);
  return buf;
}

// -- reader: typed access that records the first error ----------------------

using keys = std::initializer_list<std::string_view>;

class reader {
 public:
  bool failed() const { return failed_; }
  const std::string& message() const { return message_; }

  /// "config: PATH: WHAT"; only the first call counts.
  void fail(const std::string& path, const std::string& what) {
    if (!failed_)
      set("config: " + path + ": " + what);
  }

  void set(std::string message) {
    if (failed_)
      return;
    failed_ = true;
    message_ = std::move(message);
  }

  /// Reports the first key of `t` that is not in `allowed`.
  void only(const toml::table& t, const std::string& path, keys allowed) {
    if (seen_keys_)
      for (std::string_view a : allowed)
        seen_keys_->push_back(without_indexes(join(path, a)));
    if (failed_)
      return;
    for (auto&& [k, v] : t) {
      (void)v;
      std::string_view key = k.str();
      if (std::find(allowed.begin(), allowed.end(), key) != allowed.end())
        continue;
      std::string msg = "config: unknown key '" + join(path, key) + "'";
      std::string_view best;
      std::size_t best_d = std::numeric_limits<std::size_t>::max();
      for (std::string_view a : allowed) {
        std::size_t d = edit_distance(key, a);
        if (d < best_d) {
          best_d = d;
          best = a;
        }
      }
      if (best_d <= 2 && best_d < key.size())
        msg += " (did you mean '" + std::string{best} + "'?)";
      set(std::move(msg));
      return;
    }
  }

  /// The sub-table `key` of `t`, or nullptr if absent (or on error). While
  /// recording keys, an absent table reads as empty, so every section's
  /// `only` list is seen.
  const toml::table* table(const toml::table& t, const std::string& path, std::string_view key) {
    const toml::node* n = t.get(key);
    if (seen_keys_ && (!n || !n->is_table())) {
      static const toml::table empty;
      return &empty;
    }
    if (!n || failed_)
      return nullptr;
    if (auto* sub = n->as_table())
      return sub;
    fail(join(path, key), std::string{"expected a table, got "} + type_name(*n));
    return nullptr;
  }

  /// A node that must be of one type; nullptr if absent, wrong (error) or after an error.
  template <class T>
  const toml::value<T>* value(const toml::node* n, const std::string& path, const char* expected) {
    if (!n || failed_)
      return nullptr;
    if (auto* v = n->as<T>())
      return v;
    fail(path, std::string{"expected "} + expected + ", got " + type_name(*n));
    return nullptr;
  }

  bool string(const toml::table& t, const std::string& path, std::string_view key, std::string& out,
              bool non_empty = false) {
    auto* v = value<std::string>(t.get(key), join(path, key), "a string");
    if (!v)
      return false;
    if (non_empty && v->get().empty()) {
      fail(join(path, key), "must not be empty");
      return false;
    }
    out = v->get();
    return true;
  }

  bool boolean(const toml::table& t, const std::string& path, std::string_view key, bool& out) {
    auto* v = value<bool>(t.get(key), join(path, key), "a boolean");
    if (!v)
      return false;
    out = v->get();
    return true;
  }

  bool integer(const toml::table& t, const std::string& path, std::string_view key, uint32_t& out,
               int64_t min, int64_t max = std::numeric_limits<uint32_t>::max()) {
    auto* v = value<int64_t>(t.get(key), join(path, key), "an integer");
    if (!v)
      return false;
    int64_t x = v->get();
    if (x < min) {
      fail(join(path, key), "must be >= " + std::to_string(min) + ", got " + std::to_string(x));
      return false;
    }
    if (x > max) {
      fail(join(path, key), "must be <= " + std::to_string(max) + ", got " + std::to_string(x));
      return false;
    }
    out = static_cast<uint32_t>(x);
    return true;
  }

  /// An integer or a float, finite.
  bool number(const toml::table& t, const std::string& path, std::string_view key, double& out) {
    const toml::node* n = t.get(key);
    if (!n || failed_)
      return false;
    double x = 0;
    if (auto* i = n->as_integer()) {
      x = static_cast<double>(i->get());
    } else if (auto* f = n->as_floating_point()) {
      x = f->get();
    } else {
      fail(join(path, key), std::string{"expected a number, got "} + type_name(*n));
      return false;
    }
    if (!std::isfinite(x)) {
      fail(join(path, key), "must be a finite number");
      return false;
    }
    out = x;
    return true;
  }

  /// An array of strings; each element is checked by `check`, which may
  /// rewrite it and returns an error text or "".
  template <class Check>
  bool strings(const toml::table& t, const std::string& path, std::string_view key,
               std::vector<std::string>& out, Check check) {
    const std::string p = join(path, key);
    auto* arr = t.get(key) && !failed_ ? t.get(key)->as_array() : nullptr;
    if (!arr) {
      if (t.get(key))
        fail(p, std::string{"expected an array of strings, got "} + type_name(*t.get(key)));
      return false;
    }
    std::vector<std::string> items;
    for (std::size_t i = 0; i < arr->size(); ++i) {
      const toml::node& n = *arr->get(i);
      auto* s = value<std::string>(&n, at_index(p, i), "a string");
      if (!s)
        return false;
      std::string item = s->get();
      if (std::string why = check(item); !why.empty()) {
        fail(at_index(p, i), why);
        return false;
      }
      items.push_back(std::move(item));
    }
    out = std::move(items);
    return true;
  }

  /// Records every key `only` allows (see known_config_keys).
  void record_keys(std::vector<std::string>* out) { seen_keys_ = out; }

 private:
  /// "auth.tokens[0].name" -> "auth.tokens[].name".
  static std::string without_indexes(const std::string& path) {
    std::string out;
    for (std::size_t i = 0; i < path.size(); ++i) {
      out += path[i];
      if (path[i] == '[')
        while (i + 1 < path.size() && path[i + 1] >= '0' && path[i + 1] <= '9')
          ++i;
    }
    return out;
  }

  bool failed_ = false;
  std::string message_;
  std::vector<std::string>* seen_keys_ = nullptr;
};

} // namespace leadbase::config_detail
