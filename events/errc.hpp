#pragma once
// One error enum for the whole project, so errors stay values: every layer returns
// these, and http/problem.cpp maps each to one HTTP status.
#include <cstdint>
#include <string>
#include <utility>
#include <variant>

namespace leadbase {

enum class errc : uint8_t {
  success = 0,           // must be 0
  validation,            // a field is missing, malformed or too long
  bad_request,           // the body is not parseable at all
  not_found,             // no such lead
  conflict,              // event id reused with other content, a second signup, a wrong expected version
  lead_erased,           // the lead's personal data was erased; no new business events
  overloaded,            // a queue is full; try again later
  storage_failure,       // RocksDB said no
  corrupt_data,          // stored bytes fail verification
  timeout,               // an internal request did not answer in time
  internal,              // a broken invariant
};

/// Names used in problem documents, logs and batch results.
const char* to_string(errc code) noexcept;

struct error {
  errc code = errc::internal;
  std::string message;
};

/// A value or an error: the return type of every fallible function that does
/// not live inside CAF (where caf::expected plays the same role). The error is
/// an `error`, or for the JSON parsers a `parse_failure` (events/json.hpp):
/// the code and sentence of an `error` and every field error found.
template <class T, class E = error>
class result {
 public:
  result(T value) : v_(std::move(value)) {}                  // NOLINT: implicit on purpose
  result(E err) : v_(std::move(err)) {}                      // NOLINT
  result(errc code, std::string message = {}) : v_(E{code, std::move(message)}) {}

  explicit operator bool() const noexcept { return v_.index() == 0; }
  bool ok() const noexcept { return v_.index() == 0; }
  T& operator*() & { return std::get<0>(v_); }
  const T& operator*() const& { return std::get<0>(v_); }
  T&& operator*() && { return std::get<0>(std::move(v_)); }
  T* operator->() { return &std::get<0>(v_); }
  const T* operator->() const { return &std::get<0>(v_); }
  const E& err() const { return std::get<1>(v_); }

 private:
  std::variant<T, E> v_;
};

/// For operations that return nothing but may fail.
struct ok_t {};
using status = result<ok_t>;
inline status ok() { return ok_t{}; }

} // namespace leadbase
