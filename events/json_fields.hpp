#pragma once
// The checks every JSON body parser shares (internal to events/: included by
// json_parse.cpp and json_parse_work.cpp only): field checks that collect
// every error under its path, and the parsing of one document.
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <rapidjson/document.h>

#include "events/json.hpp"

namespace leadbase::json_detail {

using rapidjson::Value;

/// Collects field errors under a path prefix ("" at the top, "data" in items).
class checker {
 public:
  checker(std::vector<field_error>& errors, std::string prefix) : errors_(errors), prefix_(std::move(prefix)) {}

  std::string path(std::string_view name) const {
    if (prefix_.empty()) return std::string(name);
    std::string p = prefix_;
    if (!name.empty() && name.front() != '[') p += '.';
    p += name;
    return p;
  }
  checker nested(std::string_view name) const { return checker(errors_, path(name)); }
  void fail(std::string_view name, std::string message) const {
    errors_.push_back({path(name), std::move(message)});
  }
  size_t error_count() const { return errors_.size(); }

 private:
  std::vector<field_error>& errors_;
  std::string prefix_;
};

const Value* member(const Value& obj, const char* name);
/// Absent or null: both mean "not given".
bool given(const Value* v);

// Each check below reads one field of `obj`, records in `c` what is wrong with
// it and returns false when something is. A required field must be given (not
// absent, not null); an optional one that is not given is fine and reads as absent.
bool req_string(const checker& c, const Value& obj, const char* name, size_t max, std::string& out);
bool opt_string(const checker& c, const Value& obj, const char* name, size_t max, std::string& out);
/// An id (events/ids.hpp syntax).
bool req_id(const checker& c, const Value& obj, const char* name, std::string& out);
/// An RFC 3339 time.
bool req_time(const checker& c, const Value& obj, const char* name, millis& out);
bool opt_time(const checker& c, const Value& obj, const char* name, std::optional<millis>& out);
/// A given value that must be an integer in [0, max].
bool uint_value(const checker& c, const char* name, const Value& v, uint64_t max, uint64_t& out);
/// Counts: integers >= 0.
bool req_count(const checker& c, const Value& obj, const char* name, int64_t& out);
bool opt_count(const checker& c, const Value& obj, const char* name, std::optional<int64_t>& out);
/// A number in [0, max], or null.
bool opt_ratio(const checker& c, const Value& obj, const char* name, double max, std::optional<double>& out);
bool opt_bool(const checker& c, const Value& obj, const char* name, bool& out);
/// "must be one of a, b, c".
std::string one_of(std::initializer_list<const char*> options);
/// A string that must be one of `options`.
bool req_enum(const checker& c, const Value& obj, const char* name, std::initializer_list<const char*> options,
              std::string& out);
bool opt_string_array(const checker& c, const Value& obj, const char* name, size_t max_items, size_t max_len,
                      std::vector<std::string>& out);
/// The object `name`, when given; an error when it is given but no object.
const Value* opt_object(const checker& c, const Value& obj, const char* name);
/// The optional `expected_version` of an item or a work body.
void opt_version(const checker& c, const Value& obj, std::optional<lead_version>& out);

/// A bad_request failure saying `detail`.
parse_failure wrong_kind(std::string detail);
/// The validation failure of these field errors.
parse_failure invalid(std::vector<field_error> errors);
/// Parses `text` as exactly one JSON document, or says why not (bad_request;
/// `what` names the text: "the body", "this line"); details in json_fields.cpp.
std::optional<parse_failure> parse_document(rapidjson::Document& doc, std::string_view text, std::string_view what);

} // namespace leadbase::json_detail
