#pragma once
// The write side as the HTTP layer and the importer see it: plain C++, no CAF
// in this header, so that http/ and app/ compile without CAF's headers.
// actors/lead_service.cpp implements it with the lead actors and the journal.
#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include "events/decide.hpp"
#include "events/errc.hpp"

namespace leadbase {

/// The answer to one append: accepted, a duplicate of a stored event, or an error.
struct append_outcome {
  errc code = errc::success;
  std::string message;           // for errors
  bool duplicate = false;
  lead_version version = 0;
  global_position position = 0;
};

using append_callback = std::function<void(append_outcome)>;

class lead_service {
 public:
  virtual ~lead_service() = default;

  /// Routes the command to its lead's actor. `done` is called exactly once, on
  /// some other thread, and only after the event is durable (or was refused).
  /// When more than the configured number of appends are in flight, `done` is
  /// called at once with errc::overloaded and nothing is appended.
  virtual void append(append_command cmd, append_callback done) = 0;

  /// Appends `erased` and destroys the lead's data key (LGPD art. 18).
  virtual void erase(std::string lead_id, std::string reason, std::string requested_by,
                     std::string correlation_id, append_callback done) = 0;

  /// Asks the lead for a new enrichment attempt now.
  virtual void retry_enrichment(std::string lead_id, append_callback done) = 0;

  /// Appends currently waiting for the journal (for backpressure and metrics).
  virtual size_t in_flight() const = 0;
  /// Lead actors currently alive.
  virtual size_t live_leads() const = 0;
};

} // namespace leadbase
