#include "storage/chain_check.hpp"

namespace leadbase::storage {
namespace {

chain_verdict bad(lead_version version, std::string problem) {
  return chain_verdict{false, version, std::move(problem)};
}

std::string v(lead_version version) { return "version " + std::to_string(version); }

} // namespace

chain_verdict check_chain(const chain_read& chain) {
  hash256 expected{};
  lead_version version = 0;
  for (const auto& s : chain.events) {
    const lead_version at = s.ev.meta.version;
    if (at != version + 1) return bad(version + 1, v(version + 1) + " is missing");
    if (s.damaged()) return bad(at, v(at) + " cannot be read: " + s.damage);
    if (s.ev.meta.prev_hash != expected) {
      if (at == 1) return bad(1, "version 1 does not start the chain (its prev_hash is not zeros)");
      return bad(at - 1, "the stored bytes of " + v(at - 1) + " do not hash to the prev_hash that " + v(at) +
                             " recorded");
    }
    expected = s.hash;
    version = at;
  }
  if (!chain.head_damage.empty()) return bad(version == 0 ? lead_version{1} : version, "the lead's head: " + chain.head_damage);
  if (!chain.last) {
    if (chain.events.empty()) return {};
    return bad(1, "the lead has events but no head");
  }
  const head& h = *chain.last;
  if (h.version > version) return bad(version + 1, v(version + 1) + " (the head is " + v(h.version) + ") is missing");
  if (h.version < version) return bad(h.version + 1, v(h.version + 1) + " is beyond the head (" + v(h.version) + ")");
  if (h.hash != expected)
    return bad(version, "the stored bytes of " + v(version) + " do not hash to the head's hash");
  return {};
}

} // namespace leadbase::storage
