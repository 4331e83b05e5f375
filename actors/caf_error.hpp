#pragma once
// leadbase errors as caf::error values, so actor replies carry the project's
// one error enum (events/errc.hpp) instead of `bool`: a handler returns
// to_caf(err) and the requester's error handler reads it back with
// from_caf(). Errors CAF raises itself (a request timeout, a receiver that is
// down) have another category and read back as `otherwise`.
#include <caf/atom.hpp>
#include <caf/error.hpp>
#include <caf/make_message.hpp>

#include "events/errc.hpp"

namespace leadbase::actors {

/// The category of leadbase errors inside CAF (at most 10 characters).
constexpr caf::atom_value error_category = caf::atom("leadbase");

/// `e` as a caf::error: its code, and its message as the context.
inline caf::error to_caf(const error& e) {
  return caf::error{static_cast<uint8_t>(e.code), error_category, caf::make_message(e.message)};
}

/// A caf::error as a leadbase error. One of CAF's own becomes `otherwise`
/// with `what` as its message.
inline error from_caf(const caf::error& e, errc otherwise, std::string what) {
  if (e.category() != error_category) return error{otherwise, std::move(what)};
  std::string message;
  if (e.context().match_elements<std::string>()) message = e.context().get_as<std::string>(0);
  return error{static_cast<errc>(e.code()), std::move(message)};
}

/// For actor_system_config::add_error_category: how logs render ours.
inline std::string render_error(uint8_t code, caf::atom_value, const caf::message& context) {
  std::string out = std::string("leadbase::") + to_string(static_cast<errc>(code));
  if (context.match_elements<std::string>()) out += ": " + context.get_as<std::string>(0);
  return out;
}

} // namespace leadbase::actors
