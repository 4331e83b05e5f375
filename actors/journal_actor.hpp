#pragma once
// The journal's interface (actors/journal.hpp spawns it): the one writer of
// the event log.
#include <string>

#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "actors/messages.hpp"

namespace leadbase::actors {

using journal_actor = caf::typed_actor<
    /// A lead's append, written with every other one queued in the next
    /// group commit; answered once it is durable, or with why it was refused.
    caf::replies_to<append_atom, journal_request>::with<journal_reply>,
    /// Writes what is queued (the journal sends it to itself).
    caf::reacts_to<commit_atom>,
    /// Destroys a lead's data key after every append queued before it, so
    /// its sealed fields can never be read again; answered once no file keeps
    /// the key, or with a leadbase caf::error (actors/caf_error.hpp).
    caf::reacts_to<destroy_atom, std::string>>;

} // namespace leadbase::actors
