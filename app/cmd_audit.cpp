// Offline audit commands: `leadbase replay` and `leadbase verify`. They open
// the data directory themselves, so they work while the server is stopped.
// verify checks, in one run: the global positions (no gap), every event's
// readability (a damaged one is named and the walk goes on), every lead's hash
// chain and head, then every projection row against a fresh fold of the log
// (projections/verify.hpp). replay checks the chain against the head as
// history does (storage/chain_check.hpp). Problems go to stderr, one line each naming the
// lead; the summary to stdout; exit 1 on any problem.
#include <iostream>
#include <unordered_map>

#include <rocksdb/db.h>

#include "app/commands.hpp"
#include "app/config.hpp"
#include "events/json.hpp"
#include "events/time.hpp"
#include "projections/lead_views.hpp"
#include "projections/priority.hpp"
#include "projections/verify.hpp"
#include "storage/event_log.hpp"
#include "storage/chain_check.hpp"

namespace leadbase::app {
namespace {

result<std::unique_ptr<storage::event_log>> open_existing(const std::string& dir) {
  // An audit must not create an empty log where none is: that would hide a typo in --data.
  std::vector<std::string> families;
  if (!rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), dir, &families).ok())
    return error{errc::not_found, "no event log in " + dir};
  storage::log_options lo;
  lo.dir = dir;
  lo.sync = true;
  return storage::event_log::open(lo);
}

} // namespace

int run_replay(const replay_args& args) {
  std::optional<millis> as_of;
  if (args.as_of) {
    as_of = parse_time(*args.as_of);
    if (!as_of) {
      std::cerr << "leadbase: --as-of: not an RFC 3339 time: " << *args.as_of << "\n";
      return 2;
    }
  }
  auto log = open_existing(args.data_dir);
  if (!log) return fail(log.err().message);
  auto chain = (*log)->read_chain(args.lead_id);
  if (!chain) return fail(chain.err().message);
  if (chain->events.empty() && !chain->last && chain->head_damage.empty())
    return fail("no lead " + args.lead_id + " in " + args.data_dir);
  lead_state s = initial(args.lead_id);
  for (const auto& e : chain->events) {
    if (e.damaged()) {
      std::cout << "event " << e.ev.meta.version << " DAMAGED: " << e.damage << "\n";
      continue;
    }
    if (as_of && e.ev.meta.recorded_at > *as_of) break;
    evolve(s, e.ev);
    std::cout << "event " << e.ev.meta.version << " " << to_string(e.ev.type()) << " at "
              << format_time(e.ev.meta.recorded_at) << "\n  data:  " << event_data_json(e.ev)
              << "\n  state: " << view_json(s, prioritise(s, priority_options{}, ""), coverage(s)) << "\n";
  }
  const auto verdict = storage::check_chain(*chain);
  if (verdict.intact) {
    std::cout << "integrity: verified\n";
    return 0;
  }
  std::cout << "integrity: broken at version " << verdict.first_bad_version << ": " << verdict.problem << "\n";
  return 1;
}

int run_verify(const verify_args& args) {
  auto cfg = args.config_file.empty() ? parse_config(default_config_toml(), "built-in development config")
                                      : load_config(args.config_file);
  if (!cfg) return fail(cfg.err().message);
  auto log = open_existing(args.data_dir);
  if (!log) return fail(log.err().message);
  // Walk the global log once, checking each lead's chain as its events come.
  struct lead_chain {
    hash256 last{};
    lead_version version = 0;
    bool broken = false;
  };
  std::unordered_map<std::string, lead_chain> chains;
  global_position after = 0, expected_position = 1;
  size_t events_checked = 0, broken = 0;
  bool walk_complete = true;
  for (;;) {
    // Damaged events come back marked, so the walk names each and goes on.
    auto page = (*log)->read_global(after, 4096, storage::event_log::hashes::compute, storage::on_damage::mark);
    if (!page) {
      // The index itself cannot be walked past here; the projection check below
      // still reads every lead's stream and names the leads it cannot read.
      std::cerr << "global log: cannot read the events after position " << after << ": " << page.err().message
                << "\n";
      ++broken;
      walk_complete = false;
      break;
    }
    if (page->empty()) break;
    for (const auto& e : *page) {
      if (e.ev.meta.position != expected_position) {
        std::cerr << "global log: expected position " << expected_position << ", found " << e.ev.meta.position
                  << "\n";
        ++broken;
      }
      expected_position = e.ev.meta.position + 1;
      if (e.damaged()) {
        std::cerr << "position " << e.ev.meta.position << ": "
                  << (e.ev.meta.lead_id.empty() ? std::string("an event")
                                                : "lead " + e.ev.meta.lead_id + " version " +
                                                      std::to_string(e.ev.meta.version))
                  << " cannot be read: " << e.damage << "\n";
        ++broken;
        if (e.ev.meta.lead_id.empty()) continue;
        auto& c = chains[e.ev.meta.lead_id];
        if (!c.broken) {
          c.broken = true;
          std::cerr << "lead " << e.ev.meta.lead_id << ": chain broken at version " << e.ev.meta.version << "\n";
        }
        c.version = e.ev.meta.version;
        continue;
      }
      auto& c = chains[e.ev.meta.lead_id];
      if (!c.broken && (e.ev.meta.prev_hash != c.last || e.ev.meta.version != c.version + 1)) {
        c.broken = true;
        ++broken;
        std::cerr << "lead " << e.ev.meta.lead_id << ": chain broken at version " << e.ev.meta.version << "\n";
      }
      c.last = e.hash;
      c.version = e.ev.meta.version;
      ++events_checked;
    }
    after = page->back().ev.meta.position;
  }
  // Each lead's head must be the end of its chain (when the walk saw every
  // event; a chain already found broken is reported once).
  for (const auto& [lead, c] : chains) {
    if (!walk_complete) break;
    if (c.broken) continue;
    auto head = (*log)->read_head(lead);
    if (!head || !*head || (*head)->version != c.version || (*head)->hash != c.last) {
      std::cerr << "lead " << lead << ": head does not match its last event\n";
      ++broken;
    }
  }
  std::cout << "verified " << events_checked << " events of " << chains.size() << " leads: "
            << (broken ? std::to_string(broken) + " problem(s)" : std::string("all chains intact")) << "\n";

  // Every projection row against a fresh fold, with the priority settings `serve` uses.
  projections::lead_views_options vo;
  vo.priority = cfg->priority;
  vo.rules_version = cfg->qualification.rules_version;
  projections::lead_views views(**log, vo);
  projections::view_verify_options vopts;
  vopts.progress = [](uint64_t leads) { std::cerr << "projection check: " << leads << " leads ...\n"; };
  vopts.progress_every = 250000;
  auto report = projections::verify_lead_views(**log, views, vopts);
  if (!report) {
    std::cerr << "projection " << views.name() << ": cannot be checked: " << report.err().message << "\n";
    return 1;
  }
  for (const auto& m : report->reported)
    std::cerr << "lead " << m.lead_id << ": projection " << views.name() << " " << projections::to_string(m.problem)
              << ": " << m.detail << "\n";
  if (report->mismatches > report->reported.size())
    std::cerr << "projection " << views.name() << ": " << (report->mismatches - report->reported.size())
              << " more mismatch(es) not listed\n";
  for (const auto& p : report->global_problems) std::cerr << "projection " << views.name() << ": " << p << "\n";
  std::cout << "projection " << views.name() << ": " << report->rows << " rows of " << report->leads
            << " leads checked against the log up to its position " << report->checkpoint << " (head "
            << report->head << "): "
            << (report->ok() ? std::string("all match")
                             : std::to_string(report->mismatches + report->global_problems.size()) + " problem(s)")
            << "\n";
  if (report->checkpoint < report->head)
    std::cout << "note: " << views.name() << " is " << (report->head - report->checkpoint)
              << " event(s) behind the log; serve (or rebuild) applies them\n";
  if (!report->fingerprint_matches)
    std::cout << "note: " << views.name() << " was built with other priority settings than "
              << (args.config_file.empty() ? std::string("the built-in config") : args.config_file)
              << "; serve with them rebuilds it\n";
  return broken || !report->ok() ? 1 : 0;
}

} // namespace leadbase::app
