#include "actors/claim_next.hpp"

#include <memory>
#include <utility>
#include <vector>

namespace leadbase::actors {
namespace {

/// One "claim next": the candidates of the current page, tried one at a time
/// (each answer arrives on some other thread and tries the next).
struct claim_walk : std::enable_shared_from_this<claim_walk> {
  lead_service& leads;
  const projections::lead_views& views;
  projections::queue_query query;
  acting_person by;
  std::string correlation_id;
  work_callback done;
  claim_next_options opts;
  std::vector<std::string> candidates;
  size_t next = 0;
  size_t tried = 0;
  bool last_page = false;

  claim_walk(lead_service& l, const projections::lead_views& v, projections::queue_query q, acting_person who,
             std::string corr, work_callback d, claim_next_options o)
      : leads(l), views(v), query(std::move(q)), by(std::move(who)), correlation_id(std::move(corr)),
        done(std::move(d)), opts(o) {}

  void none_left() { done(work_outcome{append_outcome{}, std::nullopt}); }

  /// Reads the next page of candidates; false (answered) when the queue cannot be read.
  bool read_page() {
    query.limit = opts.page;
    auto page = views.query(query);
    if (!page) {
      done(work_outcome{append_outcome{page.err().code, page.err().message, false, 0, 0}, std::nullopt});
      return false;
    }
    candidates.clear();
    next = 0;
    for (const auto& s : page->items) candidates.push_back(s.lead_id);
    if (page->next_cursor) query.cursor = *page->next_cursor;
    else last_page = true;
    return true;
  }

  void try_next() {
    while (next >= candidates.size()) {
      if (last_page) return none_left();
      if (!read_page()) return;
    }
    if (tried++ >= opts.max_candidates) return none_left();
    const std::string lead_id = candidates[next++];
    auto self = shared_from_this();
    leads.work(lead_id, claim{by, std::nullopt, correlation_id}, [self](work_outcome o) {
      const errc code = o.result.code;
      // Lost to another claim (or the lead changed since the queue saw it): the next one.
      if (code == errc::conflict || code == errc::lead_erased || code == errc::not_found || o.result.duplicate)
        return self->try_next();
      self->done(std::move(o));
    });
  }
};

} // namespace

void claim_next(lead_service& leads, const projections::lead_views& views, projections::queue_query filters,
                acting_person by, std::string correlation_id, work_callback done, claim_next_options opts) {
  filters.owner = std::string();  // unassigned
  filters.stages.clear();         // the default stages: not meeting_booked, not closed
  filters.status.reset();         // never a disqualified lead
  filters.cursor.clear();
  auto walk = std::make_shared<claim_walk>(leads, views, std::move(filters), std::move(by), std::move(correlation_id),
                                           std::move(done), opts);
  walk->try_next();
}

} // namespace leadbase::actors
