#include "events/errc.hpp"

namespace leadbase {

const char* to_string(errc code) noexcept {
  switch (code) {
    case errc::success: return "success";
    case errc::validation: return "validation";
    case errc::bad_request: return "bad_request";
    case errc::not_found: return "not_found";
    case errc::conflict: return "conflict";
    case errc::lead_erased: return "lead_erased";
    case errc::overloaded: return "overloaded";
    case errc::storage_failure: return "storage_failure";
    case errc::corrupt_data: return "corrupt_data";
    case errc::timeout: return "timeout";
    case errc::internal: return "internal";
  }
  return "internal";
}

} // namespace leadbase
