#include "storage/log_audit.hpp"

#include <unordered_map>

namespace leadbase::storage {

namespace {

struct lead_chain {
  hash256 last{};
  lead_version version = 0;
  bool broken = false;
};

void problem(log_audit_report& r, size_t max_reported, std::string line) {
  ++r.problems;
  if (r.reported.size() < max_reported) r.reported.push_back(std::move(line));
}

} // namespace

log_audit_report audit_log(const event_log& log, size_t max_reported) {
  log_audit_report r;
  std::unordered_map<std::string, lead_chain> chains;
  global_position after = 0, expected_position = 1;
  for (;;) {
    // Damaged events come back marked, so the walk names each and goes on.
    auto page = log.read_global(after, 4096, event_log::hashes::compute, on_damage::mark);
    if (!page) {
      // The index itself cannot be walked past here (an I/O error, not one
      // record's damage); `leadbase verify`'s projection check still names the
      // leads whose streams cannot be read.
      problem(r, max_reported,
              "global log: cannot read the events after position " + std::to_string(after) + ": " +
                  page.err().message);
      r.walk_complete = false;
      break;
    }
    if (page->empty()) break;
    for (const auto& e : *page) {
      const auto& m = e.ev.meta;
      if (m.position != expected_position)
        problem(r, max_reported,
                "global log: expected position " + std::to_string(expected_position) + ", found " +
                    std::to_string(m.position));
      expected_position = m.position + 1;
      if (e.damaged()) {
        ++r.damaged;
        problem(r, max_reported,
                "position " + std::to_string(m.position) + ": " +
                    (m.lead_id.empty() ? std::string("an event")
                                       : "lead " + m.lead_id + " version " + std::to_string(m.version)) +
                    " cannot be read: " + e.damage);
        if (m.lead_id.empty()) continue;
        auto& c = chains[m.lead_id];
        if (!c.broken) {
          c.broken = true;
          problem(r, max_reported, "lead " + m.lead_id + ": chain broken at version " + std::to_string(m.version));
        }
        c.version = m.version;
        continue;
      }
      auto& c = chains[m.lead_id];
      if (!c.broken && (m.prev_hash != c.last || m.version != c.version + 1)) {
        c.broken = true;
        problem(r, max_reported, "lead " + m.lead_id + ": chain broken at version " + std::to_string(m.version));
      }
      c.last = e.hash;
      c.version = m.version;
      ++r.events;
    }
    after = page->back().ev.meta.position;
  }
  r.head = after;
  r.leads = chains.size();
  // Each lead's head must be the end of its chain (when the walk saw every
  // event; a chain already found broken is reported once).
  if (r.walk_complete)
    for (const auto& [lead, c] : chains) {
      if (c.broken) continue;
      auto head = log.read_head(lead);
      if (!head || !*head || (*head)->version != c.version || (*head)->hash != c.last)
        problem(r, max_reported, "lead " + lead + ": head does not match its last event");
    }
  return r;
}

} // namespace leadbase::storage
