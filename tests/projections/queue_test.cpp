// The SDR/LDR work queue over the current-view projection: every filter and
// sort against a brute-force reference (fold every lead, filter, sort), cursor
// walks (no item twice, none missed), a walk while leads are ingested, q prefix
// search, leads in no queue, erasure; and the HTTP routes' validation.
#include "projections/lead_views.hpp"

#include <catch2/catch.hpp>

#include <rapidjson/document.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <random>
#include <set>
#include <thread>

#include "http/api.hpp"
#include "http/server.hpp"
#include "projections/priority.hpp"
#include "projections/runner.hpp"
#include "tests/projections/projection_fixture.hpp"
#include "tests/support/captured_responder.hpp"

using namespace leadbase;
using namespace leadbase::projections;
using leadbase::test::lead_spec;

namespace {

const std::string rules = "2026-11-01";

/// The reference: what the queue must contain, computed from fresh folds.
struct ref_item {
  std::string id;
  int64_t score10 = 0;
  millis signed_up_at = 0;
  int64_t followers = 0;
  lead_status status = lead_status::none;
  char level = 'C';
  std::string team, tier, country;
};

std::vector<ref_item> reference(test::log_fixture& f) {
  std::vector<ref_item> out;
  for (const auto& id : f.lead_ids()) {
    lead_state s = f.fold_lead(id);
    auto p = prioritise(s, priority_options{}, rules);
    // Disqualified leads are listed too (status=disqualified only): score 0, level '-', no team.
    const bool disqualified = s.status == lead_status::disqualified && !s.personal_erased;
    if (!p && !disqualified) continue;
    ref_item r;
    r.id = id;
    r.score10 = p ? std::llround(p->score * 10) : 0;
    r.signed_up_at = s.signed_up_at;
    r.status = s.status;
    r.level = p ? p->level : '-';
    r.team = p ? p->team : "";
    r.country = s.contact.country;
    for (network n : {network::youtube, network::instagram}) {
      auto it = s.social.find(n);
      if (it != s.social.end()) {
        r.followers = it->second.followers;
        r.tier = it->second.creator_tier;
      }
    }
    out.push_back(r);
  }
  return out;
}

std::vector<std::string> expected(const std::vector<ref_item>& refs, const queue_query& q) {
  std::vector<const ref_item*> hits;
  for (const auto& r : refs) {
    if (!q.status && r.status == lead_status::disqualified) continue;
    // No lead of this data set is worked: every one is unassigned, owned by no one.
    if (q.owner && !q.owner->empty()) continue;
    if (!q.stages.empty() && std::find(q.stages.begin(), q.stages.end(), work_stage::unassigned) == q.stages.end())
      continue;
    if (q.team && r.team != *q.team) continue;
    if (!q.levels.empty() && std::find(q.levels.begin(), q.levels.end(), r.level) == q.levels.end()) continue;
    if (q.status && r.status != *q.status) continue;
    if (q.creator_tier && r.tier != *q.creator_tier) continue;
    if (q.country && r.country != *q.country) continue;
    if (q.min_followers && r.followers < *q.min_followers) continue;
    if (q.max_followers && r.followers > *q.max_followers) continue;
    if (q.signed_up_after && r.signed_up_at < *q.signed_up_after) continue;
    if (q.signed_up_before && r.signed_up_at >= *q.signed_up_before) continue;
    hits.push_back(&r);
  }
  auto key = [&](const ref_item* r) {
    switch (q.sort) {
      case queue_sort::score_desc:
      case queue_sort::score_asc: return r->score10;
      case queue_sort::signed_up_desc:
      case queue_sort::signed_up_asc: return r->signed_up_at;
      default: return r->followers;
    }
  };
  const bool desc = q.sort == queue_sort::score_desc || q.sort == queue_sort::signed_up_desc ||
                    q.sort == queue_sort::followers_desc;
  std::sort(hits.begin(), hits.end(), [&](const ref_item* a, const ref_item* b) {
    auto ka = std::make_pair(key(a), a->id), kb = std::make_pair(key(b), b->id);
    return desc ? kb < ka : ka < kb;
  });
  std::vector<std::string> ids;
  for (const auto* h : hits) ids.push_back(h->id);
  return ids;
}

/// Every page of a query, following next_cursor; fails on a repeated item.
std::vector<std::string> walk(const lead_views& views, queue_query q, const std::function<void()>& between = {}) {
  std::vector<std::string> ids;
  std::set<std::string> seen;
  for (int pages = 0; pages < 100000; ++pages) {
    auto page = views.query(q);
    REQUIRE(page);
    REQUIRE(page->items.size() <= q.limit);
    for (const auto& s : page->items) {
      INFO("lead " << s.lead_id << " twice");
      REQUIRE(seen.insert(s.lead_id).second);
      ids.push_back(s.lead_id);
    }
    if (!page->next_cursor) return ids;
    q.cursor = *page->next_cursor;
    if (between) between();
  }
  FAIL("the walk did not end");
  return ids;
}

/// About a hundred leads of every kind; signup times and scores repeat, so the
/// tiebreak matters.
void write_leads(test::log_fixture& f) {
  const std::vector<std::optional<int64_t>> followers = {std::nullopt, 500,    5000,   50000,
                                                         200000,       700000, 2000000};
  const char* countries[] = {"BR", "PT", "US"};
  for (int i = 0; i < 105; ++i) {
    lead_spec s;
    s.id = "q-" + std::to_string(i);
    s.name = "Person " + std::to_string(i);
    s.email = "person" + std::to_string(i) + "@example.com";
    s.instagram = i % 9 == 8 ? "" : "handle" + std::to_string(i);
    s.country = countries[i % 3];
    s.signed_up_at = 1764331200000 + (i % 17) * 60000;
    s.followers = s.instagram.empty() ? std::nullopt : followers[static_cast<size_t>(i) % followers.size()];
    s.final_failure = !s.instagram.empty() && !s.followers && i % 2 == 0;
    s.disqualify = i % 13 == 5;
    s.erase = i % 19 == 7;
    f.append_lead(s);
  }
}

struct queue_fixture {
  test::log_fixture f;
  lead_views views;
  std::unique_ptr<projection_runner> runner;

  explicit queue_fixture(lead_views_options o = {}) : views(*f.log, o) {
    write_leads(f);
    auto r = projection_runner::open(*f.log, views);
    REQUIRE(r);
    runner = std::move(*r);
    REQUIRE(runner->catch_up());
  }
};

std::vector<queue_query> filter_variants() {
  std::vector<queue_query> out;
  auto add = [&](auto fn) {
    queue_query q;
    fn(q);
    out.push_back(q);
  };
  add([](queue_query&) {});
  add([](queue_query& q) { q.team = "sdr"; });
  add([](queue_query& q) { q.team = "ldr"; });
  add([](queue_query& q) { q.levels = {'A'}; });
  add([](queue_query& q) { q.levels = {'C', 'A'}; });
  add([](queue_query& q) { q.levels = {'B', 'C'}; q.team = "ldr"; });
  add([](queue_query& q) { q.status = lead_status::enriched; });
  add([](queue_query& q) { q.status = lead_status::enrichment_failed; });
  add([](queue_query& q) { q.status = lead_status::disqualified; });
  add([](queue_query& q) { q.status = lead_status::disqualified; q.country = "BR"; });
  add([](queue_query& q) { q.owner = std::string(); });
  add([](queue_query& q) { q.owner = std::string("ana"); });
  add([](queue_query& q) { q.stages = {work_stage::unassigned, work_stage::closed}; });
  add([](queue_query& q) { q.stages = {work_stage::assigned}; q.team = "sdr"; });
  add([](queue_query& q) { q.creator_tier = "micro"; });
  add([](queue_query& q) { q.creator_tier = "mega"; q.team = "sdr"; });
  add([](queue_query& q) { q.country = "PT"; });
  add([](queue_query& q) { q.min_followers = 5000; });
  add([](queue_query& q) { q.max_followers = 50000; });
  add([](queue_query& q) { q.min_followers = 5000; q.max_followers = 200000; q.country = "BR"; });
  add([](queue_query& q) { q.signed_up_after = 1764331200000 + 5 * 60000; });
  add([](queue_query& q) { q.signed_up_before = 1764331200000 + 9 * 60000; });
  add([](queue_query& q) {
    q.signed_up_after = 1764331200000 + 3 * 60000;
    q.signed_up_before = 1764331200000 + 12 * 60000;
    q.levels = {'B'};
  });
  return out;
}

} // namespace

TEST_CASE("every filter and every sort walks the queue like the reference", "[projections]") {
  auto small_pages = GENERATE(false, true);
  lead_views_options o;
  if (small_pages) {  // tiny scan caps: pages end early and the cursor carries on
    o.scan_cap_factor = 1;
    o.min_scan_cap = 3;
  }
  queue_fixture fx(o);
  auto refs = reference(fx.f);
  REQUIRE(refs.size() > 40);
  CHECK(std::any_of(refs.begin(), refs.end(), [](const ref_item& r) { return r.status == lead_status::disqualified; }));
  std::set<char> levels;
  for (const auto& r : refs) levels.insert(r.level);
  CHECK(levels.size() == 4);  // the data set covers A, B and C (and '-': the disqualified)

  for (auto sort : {queue_sort::score_desc, queue_sort::score_asc, queue_sort::signed_up_desc,
                    queue_sort::signed_up_asc, queue_sort::followers_desc}) {
    for (auto q : filter_variants()) {
      for (size_t limit : {size_t{1}, size_t{7}, size_t{500}}) {
        q.sort = sort;
        q.limit = limit;
        q.cursor.clear();
        INFO("sort " << to_string(sort) << " limit " << limit << " team " << q.team.value_or("-") << " levels "
                     << std::string(q.levels.begin(), q.levels.end()));
        CHECK(walk(fx.views, q) == expected(refs, q));
      }
    }
  }
}

TEST_CASE("a page reads a bounded number of index entries", "[projections]") {
  lead_views_options o;
  o.scan_cap_factor = 2;
  o.min_scan_cap = 4;
  queue_fixture fx(o);
  queue_query q;
  q.country = "XX";  // matches nothing: every page stops at the cap
  q.limit = 3;
  auto page = fx.views.query(q);
  REQUIRE(page);
  CHECK(page->items.empty());
  CHECK(page->examined == 6);
  CHECK(page->next_cursor);
  CHECK(walk(fx.views, q).empty());
}

TEST_CASE("disqualified and erased leads are in no queue", "[projections]") {
  queue_fixture fx;
  queue_query all;
  all.limit = 500;
  auto ids = walk(fx.views, all);
  for (const auto& id : ids) {
    lead_state s = fx.f.fold_lead(id);
    CHECK(s.status != lead_status::disqualified);
    CHECK(s.status != lead_status::erased);
    CHECK_FALSE(s.personal_erased);
  }
  // Their rows exist all the same.
  auto disq = fx.views.get("q-5");
  REQUIRE(disq);
  REQUIRE(*disq);
  CHECK((*disq)->status == lead_status::disqualified);
  CHECK(std::find(ids.begin(), ids.end(), "q-5") == ids.end());
  auto gone = fx.views.get("q-7");
  REQUIRE(gone);
  REQUIRE(*gone);
  CHECK((*gone)->status == lead_status::erased);
  CHECK((*gone)->contact.email.empty());
  CHECK((*gone)->contact.name.empty());
  CHECK(std::find(ids.begin(), ids.end(), "q-7") == ids.end());
  auto none = fx.views.get("nobody");
  REQUIRE(none);
  CHECK_FALSE(*none);
}

TEST_CASE("q finds by a prefix of name, any name word, email or handle, case-insensitively", "[projections]") {
  test::log_fixture f;
  lead_spec joao = test::spec("s-1", "João Müller", "JMuller@Example.com", "BR", "joao.insta", "@JoaoTube");
  joao.followers = 20000;
  lead_spec ana = test::spec("s-2", "Ana Souza", "ana@exemplo.com.br", "BR", "anasouza", "");
  lead_spec anabel = test::spec("s-3", "Anabel Lima", "lima@example.org", "PT", "bel", "");
  anabel.followers = 900000;
  lead_spec disq = test::spec("s-4", "Ana Disq", "anad@example.com", "BR", "anadisq", "");
  disq.disqualify = true;
  for (const auto& s : {joao, ana, anabel, disq}) f.append_lead(s);
  lead_views views(*f.log, {});
  auto r = projection_runner::open(*f.log, views);
  REQUIRE(r);
  REQUIRE((*r)->catch_up());

  auto search = [&](const std::string& text, queue_sort sort = queue_sort::score_desc, size_t limit = 50) {
    queue_query q;
    q.q = text;
    q.sort = sort;
    q.limit = limit;
    auto ids = walk(views, q);
    std::sort(ids.begin(), ids.end());
    return ids;
  };
  using ids = std::vector<std::string>;
  CHECK(search("ANA") == ids{"s-2", "s-3"});
  CHECK(search("ana s") == ids{"s-2"});
  CHECK(search("souza") == ids{"s-2"});        // a later word of the name
  CHECK(search("JOÃO") == ids{"s-1"});         // Latin-1 letters fold too
  CHECK(search("müll") == ids{"s-1"});
  CHECK(search("jmuller@EX") == ids{"s-1"});   // email
  CHECK(search("joao.in") == ids{"s-1"});      // instagram handle
  CHECK(search("@joaotube") == ids{"s-1"});    // youtube handle, with its '@'
  CHECK(search("joaotu") == ids{"s-1"});
  CHECK(search("bel") == ids{"s-3"});
  CHECK(search("anad").empty());               // disqualified: in no queue
  CHECK(search("zzz").empty());
  CHECK(search("a", queue_sort::signed_up_asc, 1) == ids{"s-2", "s-3"});  // paged by cursor

  // With other filters.
  queue_query q;
  q.q = "ana";
  q.country = "PT";
  auto page = views.query(q);
  REQUIRE(page);
  REQUIRE(page->items.size() == 1);
  CHECK(page->items[0].lead_id == "s-3");
}

TEST_CASE("q finds exactly the leads with a token starting with the text, for every prefix of every token",
          "[projections]") {
  // Tokens over a two-letter alphabet share long prefixes, so every level of
  // the nested buckets (1, 3 and 6 bytes) holds many tokens of many leads,
  // and a lead often has two tokens in one bucket.
  test::log_fixture f;
  std::mt19937 rng(7);
  auto word = [&](size_t min_len, size_t max_len) {
    std::string w(std::uniform_int_distribution<size_t>(min_len, max_len)(rng), 'a');
    for (auto& c : w) c = "ab"[rng() % 2];
    return w;
  };
  std::map<std::string, std::vector<std::string>> tokens;  // lead id -> its tokens
  for (int i = 0; i < 120; ++i) {
    const std::string id = "p-" + std::to_string(i);
    const std::string first = word(1, 8), last = word(1, 8), mail = word(1, 4) + "@x.io", handle = word(2, 9);
    f.append_lead(test::spec(id, first + " " + last, mail, "BR", handle));
    tokens[id] = {first + " " + last, last, mail, handle};
  }
  lead_views views(*f.log, {});
  auto r = projection_runner::open(*f.log, views);
  REQUIRE(r);
  REQUIRE((*r)->catch_up());

  std::set<std::string> texts;
  for (const auto& [id, ts] : tokens)
    for (const auto& t : ts)
      for (size_t n = 1; n <= t.size(); ++n) texts.insert(t.substr(0, n));
  for (const auto& text : texts) {
    std::vector<std::string> expected;
    for (const auto& [id, ts] : tokens)
      if (std::any_of(ts.begin(), ts.end(), [&](const std::string& t) { return t.compare(0, text.size(), text) == 0; }))
        expected.push_back(id);
    queue_query q;
    q.q = text;
    q.limit = 500;
    auto found = walk(views, q);
    std::sort(found.begin(), found.end());
    INFO("q=" << text);
    CHECK(found == expected);
  }
}

TEST_CASE("an erased lead cannot be found by its old name, email or handle, and no file keeps them",
          "[projections]") {
  test::log_fixture f;
  lead_spec z = test::spec("e-1", "Zebulon Quixote", "zebulon.q@example.net", "BR", "zebuloninsta", "");
  z.followers = 30000;
  f.append_lead(z);
  lead_views views(*f.log, {});
  auto r = projection_runner::open(*f.log, views);
  REQUIRE(r);
  REQUIRE((*r)->catch_up());
  auto find = [&](const std::string& text) {
    queue_query q;
    q.q = text;
    return walk(views, q);
  };
  REQUIRE(find("zebulon") == std::vector<std::string>{"e-1"});

  f.append("e-1", {erased{"lgpd", "dpo"}});
  REQUIRE((*r)->catch_up());
  CHECK(find("zebulon").empty());
  CHECK(find("quixote").empty());
  CHECK(find("zebulon.q@").empty());
  CHECK(find("zebuloninsta").empty());
  CHECK(walk(views, queue_query{}).empty());
  auto row = views.get("e-1");
  REQUIRE(row);
  REQUIRE(*row);
  CHECK((*row)->contact.name.empty());
  CHECK((*row)->social.at(network::instagram).handle.empty());

  REQUIRE(views.compact_lead("e-1"));
  for (const auto& entry : std::filesystem::recursive_directory_iterator(f.dir.path())) {
    if (!entry.is_regular_file()) continue;
    std::ifstream in(entry.path(), std::ios::binary);
    std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    INFO(entry.path().string());
    CHECK(content.find("Zebulon") == std::string::npos);
    CHECK(content.find("zebulon") == std::string::npos);
  }
}

TEST_CASE("a cursor walk while leads are ingested sees every earlier lead exactly once", "[projections]") {
  queue_fixture fx;
  auto before = reference(fx.f);
  // The default walk leaves the disqualified out.
  before.erase(std::remove_if(before.begin(), before.end(),
                              [](const ref_item& r) { return r.status == lead_status::disqualified; }),
               before.end());
  REQUIRE(fx.runner->start());

  for (auto sort : {queue_sort::score_desc, queue_sort::signed_up_asc, queue_sort::followers_desc}) {
    std::atomic<bool> done{false};
    std::string writer_error;  // no Catch assertion off the test's thread
    static int round = 0;
    ++round;
    std::thread writer([&] {
      for (int i = 0; i < 150 && !done; ++i) {
        lead_spec s;
        s.id = "new-" + std::to_string(round) + "-" + std::to_string(i);
        s.name = "New " + std::to_string(i);
        s.email = "new" + std::to_string(i) + "@example.com";
        s.instagram = "new" + std::to_string(i);
        s.followers = 100 * (i + 1) * (i + 1);
        s.signed_up_at = 1764331200000 + (i % 23) * 45000;
        if (auto a = fx.f.try_append_lead(s); !a.error.empty()) {
          writer_error = a.error;
          return;
        }
        fx.runner->notify();
      }
    });
    queue_query q;
    q.sort = sort;
    q.limit = 5;
    auto ids = walk(fx.views, q, [] { std::this_thread::yield(); });
    done = true;
    writer.join();
    CHECK(writer_error.empty());
    std::set<std::string> seen(ids.begin(), ids.end());
    for (const auto& r : before) {
      INFO("lead " << r.id << " missed, sort " << to_string(sort));
      CHECK(seen.count(r.id) == 1);
    }
  }
  fx.runner->stop();
}

// -- the HTTP routes ------------------------------------------------------------------------

namespace {

http::response call(http::router& r, const std::string& method, const std::string& target) {
  http::request req;
  req.method = method;
  req.target = target;
  auto qm = target.find('?');
  req.path = target.substr(0, qm);
  if (qm != std::string::npos) REQUIRE(http::parse_query(target.substr(qm + 1), req.query));
  std::map<std::string, std::string> params;
  auto m = r.match(method, req.path, params);
  REQUIRE(m.kind == http::router::match_kind::found);
  req.path_params = params;
  http::response out;
  bool answered = false;
  m.matched->fn(req, leadbase::test::capture_responder([&](http::response res) {
    out = std::move(res);
    answered = true;
  }));
  REQUIRE(answered);
  return out;
}

} // namespace

TEST_CASE("make_api_router: GET /v1/leads/{id} is registered once, from the projection", "[projections][router]") {
  queue_fixture fx;
  http::api_context ctx;
  ctx.log = fx.f.log.get();
  ctx.views = &fx.views;
  ctx.projections = fx.runner.get();
  http::router r = http::make_api_router(ctx);
  CHECK(r.refused().empty());
  CHECK(std::count_if(r.routes().begin(), r.routes().end(), [](const http::route& rt) {
          return rt.method == "GET" && rt.pattern == "/v1/leads/{lead_id}";
        }) == 1);
}

TEST_CASE("GET /v1/leads validates every filter and answers pages", "[projections]") {
  queue_fixture fx;
  http::api_context ctx;
  ctx.log = fx.f.log.get();
  ctx.views = &fx.views;
  ctx.projections = fx.runner.get();
  http::router r;
  http::add_queue_routes(r, ctx);
  http::add_projection_routes(r, ctx);

  const std::vector<std::pair<std::string, std::string>> bad = {
      {"team", "boss"},          {"level", "A,D"},        {"level", ""},
      {"status", "happy"},       {"creator_tier", "huge"}, {"country", "B%21R"},
      {"min_followers", "-1"},   {"max_followers", "many"}, {"signed_up_after", "yesterday"},
      {"signed_up_before", "2026-13-01T00:00:00Z"},       {"q", ""},
      {"sort", "name"},          {"limit", "0"},          {"limit", "501"},
      {"cursor", "%21%21"},      {"cursor", "AAAA"},      {"min_position", "x"},
      {"wait_ms", "10001"}};
  for (const auto& [field, value] : bad) {
    INFO(field << "=" << value);
    auto res = call(r, "GET", "/v1/leads?" + field + "=" + value);
    CHECK(res.status == 422);
    CHECK(res.content_type == "application/problem+json");
    CHECK(res.body.find("\"field\":\"" + field + "\"") != std::string::npos);
  }
  auto minmax = call(r, "GET", "/v1/leads?min_followers=10&max_followers=5");
  CHECK(minmax.status == 422);
  // A cursor made for another sort.
  auto first = call(r, "GET", "/v1/leads?limit=2");
  REQUIRE(first.status == 200);
  rapidjson::Document doc;
  doc.Parse(first.body.c_str());
  REQUIRE(doc.IsObject());
  REQUIRE(doc["items"].IsArray());
  CHECK(doc["items"].Size() == 2);
  CHECK(doc["items"][0]["priority"]["team"].IsString());
  REQUIRE(doc["next_cursor"].IsString());
  std::string cursor = doc["next_cursor"].GetString();
  CHECK(call(r, "GET", "/v1/leads?sort=score&cursor=" + cursor).status == 422);
  auto second = call(r, "GET", "/v1/leads?limit=2&cursor=" + cursor);
  CHECK(second.status == 200);
  CHECK(second.body != first.body);

  auto filtered = call(r, "GET", "/v1/leads?team=SDR&level=a,b&country=br&sort=-followers&limit=500");
  REQUIRE(filtered.status == 200);
  doc.Parse(filtered.body.c_str());
  CHECK(doc["next_cursor"].IsNull());
  for (const auto& item : doc["items"].GetArray()) {
    CHECK(std::string(item["priority"]["team"].GetString()) == "sdr");
    CHECK(std::string(item["contact"]["country"].GetString()) == "BR");
  }

  auto one = call(r, "GET", "/v1/leads/q-0");
  CHECK(one.status == 200);
  CHECK(one.headers.find("ETag"));
  CHECK(call(r, "GET", "/v1/leads/nobody").status == 404);

  // The runner is not started here: a position it has not reached answers 503 at once.
  const auto head = fx.f.log->last_position();
  CHECK(call(r, "GET", "/v1/leads/q-0?min_position=" + std::to_string(head)).status == 200);
  auto wait = call(r, "GET", "/v1/leads?min_position=" + std::to_string(head + 1) + "&wait_ms=0");
  CHECK(wait.status == 503);
  CHECK(wait.headers.find("Retry-After"));

  auto admin = call(r, "GET", "/v1/admin/projections");
  REQUIRE(admin.status == 200);
  doc.Parse(admin.body.c_str());
  REQUIRE(doc["projections"].Size() == 1);
  CHECK(std::string(doc["projections"][0]["name"].GetString()) == "lead_views");
  CHECK(doc["projections"][0]["position"].GetUint64() == head);
  CHECK(doc["projections"][0]["lag_events"].GetUint64() == 0);
  CHECK(call(r, "POST", "/v1/admin/projections/rebuild").status == 503);  // not running
  CHECK_FALSE(http::projections_readiness(ctx).ready);

  REQUIRE(fx.runner->start());
  REQUIRE(fx.runner->wait_for(head));
  CHECK(call(r, "POST", "/v1/admin/projections/rebuild").status == 202);
  REQUIRE(fx.runner->wait_for(head));
  fx.runner->stop();
}
