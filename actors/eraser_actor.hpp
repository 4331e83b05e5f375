#pragma once
// The key purger's interface (actors/eraser.hpp spawns it).
#include <string>

#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "actors/messages.hpp"

namespace leadbase::actors {

using eraser_actor = caf::typed_actor<
    /// After the journal deleted a lead's data key: flushes every family and
    /// compacts the key's range so no file keeps it; answered when done, or
    /// with a leadbase caf::error (actors/caf_error.hpp).
    caf::reacts_to<purge_atom, std::string>>;

} // namespace leadbase::actors
