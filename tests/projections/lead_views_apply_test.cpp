// lead_views::apply, one event a page: after every page the index holds
// exactly rows_of() of the lead's fresh fold, whichever part of its keys the
// event changed (apply diffs the attribute keys and the search keys apart, and
// skips the search keys when the tokens did not change).
#include <catch2/catch.hpp>

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <map>
#include <string>
#include <vector>

#include "projections/lead_views.hpp"
#include "tests/projections/projection_fixture.hpp"
#include "tests/support/raw_db.hpp"

using namespace leadbase;
using namespace leadbase::projections;

namespace {

/// Applies the events after `after` one page each; returns the last position.
global_position apply_one_by_one(storage::event_log& log, lead_views& views, global_position after) {
  for (;;) {
    auto page = log.read_global(after, 1, storage::event_log::hashes::skip);
    REQUIRE(page);
    if (page->empty()) return after;
    rocksdb::WriteBatch b;
    REQUIRE(views.apply(*page, b));
    REQUIRE(test::raw_db(log)->Write(rocksdb::WriteOptions(), &b).ok());
    after = page->back().ev.meta.position;
  }
}

} // namespace

TEST_CASE("apply leaves exactly the index keys of the fresh fold after every event", "[projections][views]") {
  test::log_fixture f;
  lead_views views(*f.log, {});
  const std::string id = "w-1";
  global_position at = 0;
  auto check = [&](const char* step) {
    INFO(step);
    at = apply_one_by_one(*f.log, views, at);
    const auto rows = views.rows_of(f.fold_lead(id));
    const std::map<std::string, std::string> expected(rows.index.begin(), rows.index.end());
    CHECK(test::family_contents(*f.log, storage::key_space::index) == expected);
    auto row = views.get(id);
    REQUIRE(row);
    REQUIRE(*row);
    CHECK(views.rows_of(**row).row_value == rows.row_value);
  };

  signed_up su = test::sample_signup(true);
  su.name = "Ana Souza";
  su.social.instagram = "anasouza";
  su.social.youtube.clear();
  f.append(id, {su});
  check("signed up: in no queue, no keys");
  f.append(id, {test::sample_qualified()});
  check("qualified: attrs and search keys appear");
  enriched ig = test::sample_enriched(48210);
  ig.handle = "anasouza";  // the signup's handle: the same tokens, only attrs keys change
  f.append(id, {ig});
  check("enriched with the same handle");
  enriched yt = test::sample_enriched(900000);
  yt.network = network::youtube;
  yt.handle = "@AnaNoYouTube";  // a new token: search keys are added
  yt.provider = "youtube_data";
  f.append(id, {yt});
  check("enriched with a new handle");
  f.append(id, {test::sample_qualified(outcome::disqualified)});
  check("disqualified: every key goes");
  f.append(id, {test::sample_qualified(outcome::qualified)});
  check("requalified: every key comes back");
  f.append(id, {erased{"data subject request", "dpo"}});
  check("erased: every key goes");
  CHECK(test::family_contents(*f.log, storage::key_space::index).empty());
}
