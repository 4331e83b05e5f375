// Schema round trips: every payload type through the stored form and back.
#include <catch2/catch.hpp>

#include "events/codec.hpp"
#include "tests/support/sample_events.hpp"

using namespace leadbase;
using leadbase::test::make_event;

namespace {

event round_trip(const event& in) {
  std::string sealed = encode_personal(personal_of(in));
  std::string bytes = encode_event(in, sealed);
  auto decoded = decode_event(bytes);
  REQUIRE(decoded);
  CHECK(decoded->sealed == sealed);
  auto personal = decode_personal(decoded->sealed);
  REQUIRE(personal);
  event out = decoded->ev;
  restore_personal(out, *personal);
  return out;
}

} // namespace

TEST_CASE("envelope round trip", "[codec]") {
  event e = make_event("u-88121", "sg-1", test::sample_signup(), 3);
  e.meta.position = 991;
  e.meta.correlation_id = "corr-1";
  e.meta.causation_id = "cause-1";
  e.meta.prev_hash.fill(0xab);
  e.meta.digest.fill(0xcd);
  event out = round_trip(e);
  CHECK(out.meta.event_id == "sg-1");
  CHECK(out.meta.lead_id == "u-88121");
  CHECK(out.meta.version == 3);
  CHECK(out.meta.position == 991);
  CHECK(out.meta.schema_version == 1);
  CHECK(out.meta.occurred_at == e.meta.occurred_at);
  CHECK(out.meta.recorded_at == e.meta.recorded_at);
  CHECK(out.meta.correlation_id == "corr-1");
  CHECK(out.meta.causation_id == "cause-1");
  CHECK(out.meta.prev_hash == e.meta.prev_hash);
  CHECK(out.meta.digest == e.meta.digest);
}

TEST_CASE("signed_up round trip, personal fields only in the sealed part", "[codec]") {
  event e = make_event("u-1", "e1", test::sample_signup(), 1);
  std::string bytes = encode_event(e, "");
  CHECK(bytes.find("ana@exemplo.com.br") == std::string::npos);
  CHECK(bytes.find("Ana Souza") == std::string::npos);
  CHECK(bytes.find("52998224725") == std::string::npos);
  event out = round_trip(e);
  const auto& s = std::get<signed_up>(out.data);
  const auto& in = std::get<signed_up>(e.data);
  CHECK(s.email == in.email);
  CHECK(s.name == in.name);
  CHECK(s.phone == in.phone);
  CHECK(s.document == in.document);
  CHECK(s.social.instagram == in.social.instagram);
  CHECK(s.social.tiktok == in.social.tiktok);
  CHECK(s.social.youtube.empty());
  CHECK(s.country == "BR");
  CHECK(s.locale == "pt-BR");
  CHECK(s.source.utm_source == "ads");
  CHECK(s.source.utm_campaign == "bf26");
}

TEST_CASE("qualified round trip", "[codec]") {
  for (auto o : {outcome::qualified, outcome::disqualified}) {
    event out = round_trip(make_event("u-1", "e2", test::sample_qualified(o), 2));
    const auto& q = std::get<qualified>(out.data);
    CHECK(q.result == o);
    CHECK(q.reasons == test::sample_qualified(o).reasons);
    CHECK(q.rules_version == "2026-11-01");
    CHECK(q.decided_by == "rules");
  }
}

TEST_CASE("enriched round trip, with and without optional metrics", "[codec]") {
  auto x = test::sample_enriched();
  x.missing_fields = {"like_count"};
  x.likes_hidden = true;
  x.views = 123456;
  event out = round_trip(make_event("u-1", "e3", x, 3));
  const auto& y = std::get<enriched>(out.data);
  CHECK(y.network == network::instagram);
  CHECK(y.handle == "anasouza");
  CHECK(y.followers == 48210);
  CHECK(y.follows == 512);
  CHECK(y.media_count == 1204);
  CHECK(y.engagement_rate == Approx(0.0312));
  CHECK(y.posts_per_week == Approx(3.5));
  CHECK(y.mix.reels == Approx(0.5));
  CHECK(y.mix.carousel == Approx(0.25));
  CHECK(y.creator_tier == "micro");
  CHECK(y.likes_hidden);
  CHECK(y.provider == "instagram_graph");
  CHECK(y.fetched_at == x.fetched_at);
  CHECK(y.missing_fields == std::vector<std::string>{"like_count"});
  CHECK(y.views == 123456);

  x.engagement_rate.reset();
  x.posts_per_week.reset();
  x.views.reset();
  event out2 = round_trip(make_event("u-1", "e3", x, 3));
  const auto& z = std::get<enriched>(out2.data);
  CHECK_FALSE(z.engagement_rate);
  CHECK_FALSE(z.posts_per_week);
  CHECK_FALSE(z.views);
}

TEST_CASE("a network is stored by its name; a name this version does not know reads as unknown", "[codec]") {
  for (network n : all_networks) CHECK(network_from_string(to_string(n)) == n);
  for (const char* name : {"", "Instagram", "facebook"}) CHECK_FALSE(network_from_string(name));
  for (network n : {network::instagram, network::tiktok, network::youtube}) {
    auto x = test::sample_enriched();
    x.network = n;
    CHECK(std::get<enriched>(round_trip(make_event("u-1", "e3", x, 3)).data).network == n);
  }
  auto x = test::sample_enriched();
  x.network = network::unknown;  // stored as no name, and read back as unknown
  CHECK(std::get<enriched>(round_trip(make_event("u-1", "e3", x, 3)).data).network == network::unknown);
}

TEST_CASE("enrichment_failed round trip, retryable and final", "[codec]") {
  for (bool retryable : {true, false}) {
    auto f = test::sample_failure(retryable, 4, "rate_limited");
    event out = round_trip(make_event("u-1", "e4", f, 4));
    const auto& g = std::get<enrichment_failed>(out.data);
    CHECK(g.network == network::instagram);
    CHECK(g.handle == "anasouza");
    CHECK(g.attempt == 4);
    CHECK(g.error_class == failure_class::rate_limited);
    CHECK(g.provider_code == "http_503");
    CHECK(g.retryable == retryable);
    CHECK(g.next_attempt_at == f.next_attempt_at);
  }
}

TEST_CASE("erased round trip", "[codec]") {
  event out = round_trip(make_event("u-1", "e5", erased{"lgpd art. 18", "dpo@x"}, 5));
  const auto& g = std::get<erased>(out.data);
  CHECK(g.reason == "lgpd art. 18");
  CHECK(g.requested_by == "dpo@x");
}

TEST_CASE("work events round trip; a contact's note only in the sealed part", "[codec][work]") {
  event a = round_trip(make_event("u-1", "e6", assigned{"ana", "boss", assign_how::manual, 1764400000000}, 6));
  const auto& ga = std::get<assigned>(a.data);
  CHECK(ga.owner == "ana");
  CHECK(ga.by == "boss");
  CHECK(ga.how == assign_how::manual);
  CHECK(ga.expires_at == 1764400000000);
  event r = round_trip(make_event("u-1", "e7", released{"ana", "system", release_reason::expired}, 7));
  const auto& gr = std::get<released>(r.data);
  CHECK(gr.owner == "ana");
  CHECK(gr.by == "system");
  CHECK(gr.reason == release_reason::expired);
  contact_logged c;
  c.by = "ana";
  c.channel = contact_channel::instagram_dm;
  c.result = contact_outcome::do_not_contact;
  c.note = "asked never to be called: NOTE-SECRET";
  c.contacted_at = 1764331300000;
  const event in = make_event("u-1", "e8", c, 8);
  const std::string bytes = encode_event(in, "sealed");
  CHECK(bytes.find("NOTE-SECRET") == std::string::npos);
  event out = round_trip(in);
  const auto& gc = std::get<contact_logged>(out.data);
  CHECK(gc.by == "ana");
  CHECK(gc.channel == contact_channel::instagram_dm);
  CHECK(gc.result == contact_outcome::do_not_contact);
  CHECK(gc.note == c.note);
  CHECK(gc.has_note());
  CHECK(gc.contacted_at == c.contacted_at);
  CHECK_FALSE(gc.claim_expires_at);
  // Without the sealed part (the key destroyed), the note is gone but known to have been there.
  auto bare = decode_event(bytes);
  REQUIRE(bare);
  const auto& gb = std::get<contact_logged>(bare->ev.data);
  CHECK(gb.note.empty());
  CHECK(gb.has_note());
}

TEST_CASE("corrupt bytes are refused, not crashed on", "[codec]") {
  std::string bytes = encode_event(make_event("u-1", "e1", test::sample_signup(), 1), "");
  CHECK_FALSE(decode_event(bytes.substr(0, bytes.size() / 2)));
  CHECK_FALSE(decode_event("not a flatbuffer at all"));
  CHECK_FALSE(decode_event(""));
  CHECK_FALSE(decode_personal("garbage"));
}

TEST_CASE("canonical bytes ignore what the server assigns", "[codec]") {
  event a = make_event("u-1", "e1", test::sample_signup(), 1);
  event b = a;
  b.meta.version = 9;
  b.meta.position = 99;
  b.meta.recorded_at = 12345;
  b.meta.correlation_id = "other";
  CHECK(canonical_bytes(a) == canonical_bytes(b));
  std::get<signed_up>(b.data).name = "Ana S.";
  CHECK(canonical_bytes(a) != canonical_bytes(b));
  event c = a;
  std::get<signed_up>(c.data).country = "PT";
  CHECK(canonical_bytes(a) != canonical_bytes(c));
}

TEST_CASE("decoding from bytes at any address (RocksDB values are not aligned)", "[codec]") {
  // FlatBuffers reads scalars in place; a value at an odd offset of a block
  // is decoded from an aligned copy, and `sealed` still points into the bytes given.
  event e = make_event("u-1", "e1", test::sample_signup(), 2);
  e.meta.position = 77;
  const std::string sealed = encode_personal(personal_of(e));
  const std::string bytes = encode_event(e, sealed);
  for (size_t offset = 0; offset < 8; ++offset) {
    INFO("offset " << offset);
    std::string shifted(offset, '\0');
    shifted += bytes;
    const std::string_view at(shifted.data() + offset, bytes.size());
    auto decoded = decode_event(at);
    REQUIRE(decoded);
    CHECK(decoded->ev.meta.position == 77);
    CHECK(decoded->ev.meta.version == 2);
    CHECK(decoded->sealed == sealed);
    CHECK(decoded->sealed.data() >= at.data());
    CHECK(decoded->sealed.data() + decoded->sealed.size() <= at.data() + at.size());
    std::string p(offset, '\0');
    p += sealed;
    auto personal = decode_personal(std::string_view(p.data() + offset, sealed.size()));
    REQUIRE(personal);
    CHECK(personal->email == std::get<signed_up>(e.data).email);
  }
}
