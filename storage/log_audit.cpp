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
    auto page = log.read_global(after, 4096);
    if (!page) {
      // A damaged event: the walk cannot go past it (read_global decodes every
      // event of the page); `leadbase verify`'s projection check still names the
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
  // Each lead's head must be the end of its chain (when the walk saw every event).
  if (r.walk_complete)
    for (const auto& [lead, c] : chains) {
      auto head = log.read_head(lead);
      if (!head || !*head || (*head)->version != c.version || (*head)->hash != c.last)
        problem(r, max_reported, "lead " + lead + ": head does not match its last event");
    }
  return r;
}

} // namespace leadbase::storage
