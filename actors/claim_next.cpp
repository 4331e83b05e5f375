#include "actors/claim_next.hpp"

#include <memory>
#include <utility>
#include <vector>

namespace leadbase::actors {
namespace {

/// One "claim next": the candidates of the current page, tried one at a time
/// (each answer arrives on some other thread and tries the next).
struct claim_walk : std::enable_shared_from_this<claim_walk> {
  claim_desk desk;
  projections::queue_query query;
  acting_person by;
  std::string correlation_id;
  work_callback done;
  claim_next_options opts;
  std::vector<std::string> candidates;
  std::string after;  // the sort key of the last candidate read
  size_t next = 0;
  size_t tried = 0;
  size_t skipped = 0;
  bool last_page = false;

  claim_walk(const claim_desk& d, projections::queue_query q, acting_person who, std::string corr, work_callback cb,
             claim_next_options o)
      : desk(d), query(std::move(q)), by(std::move(who)), correlation_id(std::move(corr)), done(std::move(cb)),
        opts(o) {}

  void none_left() { done(work_outcome{append_outcome{}, std::nullopt}); }

  /// Reads the next page of candidates; false (answered) when the queue cannot be read.
  bool read_page() {
    auto page = desk.views.claim_candidates(query, after, opts.page);
    if (!page) {
      done(work_outcome{append_outcome{page.err().code, page.err().message, false, 0, 0}, std::nullopt});
      return false;
    }
    candidates = std::move(page->ids);
    next = 0;
    if (page->next_after)
      after = std::move(*page->next_after);
    else
      last_page = true;
    return true;
  }

  /// The next candidate no other claim holds (held now for this one), or
  /// nullopt when this walk has answered.
  std::optional<std::string> next_candidate() {
    for (;;) {
      while (next >= candidates.size()) {
        if (last_page) {
          none_left();
          return std::nullopt;
        }
        if (!read_page()) return std::nullopt;
      }
      std::string lead_id = candidates[next++];
      if (desk.held && !desk.held->try_hold(lead_id)) {
        if (++skipped > opts.max_skipped) {
          none_left();
          return std::nullopt;
        }
        continue;
      }
      if (tried++ >= opts.max_candidates) {
        if (desk.held) desk.held->drop(lead_id);
        none_left();
        return std::nullopt;
      }
      return lead_id;
    }
  }

  void try_next() {
    auto lead_id = next_candidate();
    if (!lead_id) return;
    auto self = shared_from_this();
    desk.leads.work(*lead_id, claim{by, std::nullopt, correlation_id}, [self, id = *lead_id](work_outcome o) {
      const errc code = o.result.code;
      const bool won = code == errc::success && !o.result.duplicate;
      if (self->desk.held) {
        if (won)
          self->desk.held->claimed(id, o.result.position);
        else
          self->desk.held->drop(id);
      }
      // Lost to another claim (or the lead changed since the queue saw it): the next one.
      if (code == errc::conflict || code == errc::lead_erased || code == errc::not_found || o.result.duplicate)
        return self->try_next();
      self->done(std::move(o));
    });
  }
};

} // namespace

void claim_next(const claim_desk& desk, projections::queue_query filters, acting_person by,
                std::string correlation_id, work_callback done, claim_next_options opts) {
  if (desk.held) desk.held->forget_applied(desk.queue_position);
  filters.owner = std::string();  // unassigned
  filters.stages.clear();         // the default stages: not meeting_booked, not closed
  filters.status.reset();         // never a disqualified lead
  filters.cursor.clear();
  auto walk = std::make_shared<claim_walk>(desk, std::move(filters), std::move(by), std::move(correlation_id),
                                           std::move(done), opts);
  walk->try_next();
}

} // namespace leadbase::actors
