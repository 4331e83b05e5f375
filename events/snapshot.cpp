#include "events/snapshot.hpp"

#include <flatbuffers/flatbuffers.h>

#include "events/fb_util.hpp"
#include "events/lead_events_generated.h"

namespace leadbase {
namespace {

using fbb = fbu::builder;
using fbu::str;
using fbu::str_offset;
using fbu::strings;
constexpr auto opt = fbu::opt_string;

flatbuffers::Offset<fb::SnapshotWork> encode_work(fbb& b, const work_state& w) {
  auto owner = opt(b, w.owner);
  str_offset by, channel, outcome_name;
  if (w.last_contact) {
    by = opt(b, w.last_contact->by);
    channel = b.CreateString(to_string(w.last_contact->channel));
    outcome_name = b.CreateString(to_string(w.last_contact->result));
  }
  fb::SnapshotWorkBuilder wb(b);
  wb.add_owner(owner);
  if (w.claimed_at) wb.add_claimed_at_ms(*w.claimed_at);
  if (w.claim_expires_at) wb.add_claim_expires_at_ms(*w.claim_expires_at);
  wb.add_contacts(w.contacts);
  if (w.last_contact) {
    wb.add_last_contact_at_ms(w.last_contact->at);
    wb.add_last_contact_by(by);
    wb.add_last_contact_channel(channel);
    wb.add_last_contact_outcome(outcome_name);
  }
  if (w.first_contact_at) wb.add_first_contact_at_ms(*w.first_contact_at);
  wb.add_meeting_booked(w.meeting_booked);
  wb.add_closed(w.closed);
  return wb.Finish();
}

work_state decode_work(const fb::SnapshotWork* x) {
  work_state w;
  if (!x) return w;
  w.owner = str(x->owner());
  if (auto r = x->claimed_at_ms()) w.claimed_at = *r;
  if (auto r = x->claim_expires_at_ms()) w.claim_expires_at = *r;
  w.contacts = x->contacts();
  if (auto r = x->last_contact_at_ms())
    w.last_contact = contact_summary{
        *r, str(x->last_contact_by()),
        contact_channel_from_string(str(x->last_contact_channel())).value_or(contact_channel::other),
        contact_outcome_from_string(str(x->last_contact_outcome())).value_or(contact_outcome::no_answer)};
  if (auto r = x->first_contact_at_ms()) w.first_contact_at = *r;
  w.meeting_booked = x->meeting_booked();
  w.closed = x->closed();
  return w;
}

} // namespace

std::string encode_snapshot(const lead_state& s) {
  // One builder per thread, cleared and reused: its buffer is allocated once
  // instead of once a snapshot (the projections encode one per lead they
  // touch). The bytes do not depend on the buffer's history: FlatBuffers
  // aligns relative to the end of the data, and Clear() forgets the vtables.
  thread_local fbb b(1024);
  b.Clear();
  const signed_up& c = s.contact;
  auto contact = fb::CreatePersonal(b, opt(b, c.email), opt(b, c.name), opt(b, c.phone), opt(b, c.document),
                                    opt(b, c.social.instagram), opt(b, c.social.youtube), opt(b, c.social.tiktok));
  const utm_source& u = c.source;
  auto source = fb::CreateSource(b, opt(b, u.utm_source), opt(b, u.utm_medium), opt(b, u.utm_campaign),
                                 opt(b, u.utm_term), opt(b, u.utm_content));
  std::vector<flatbuffers::Offset<fb::SnapshotProfile>> social;
  for (const auto& [network, p] : s.social) {
    auto n = fbu::network_name(b, network), h = opt(b, p.handle), tier = opt(b, p.creator_tier), prov = opt(b, p.provider);
    auto missing = strings(b, p.missing_fields);
    auto mix = fb::CreateContentMix(b, p.mix.image, p.mix.video, p.mix.carousel, p.mix.reels);
    fb::SnapshotProfileBuilder pb(b);
    pb.add_network(n);
    pb.add_handle(h);
    pb.add_followers(p.followers);
    pb.add_follows(p.follows);
    pb.add_media_count(p.media_count);
    if (p.engagement_rate) pb.add_engagement_rate(*p.engagement_rate);
    if (p.posts_per_week) pb.add_posts_per_week(*p.posts_per_week);
    pb.add_content_mix(mix);
    pb.add_creator_tier(tier);
    pb.add_likes_hidden(p.likes_hidden);
    pb.add_provider(prov);
    pb.add_fetched_at_ms(p.fetched_at);
    pb.add_missing_fields(missing);
    if (p.views) pb.add_views(*p.views);
    social.push_back(pb.Finish());
  }
  std::vector<flatbuffers::Offset<fb::SnapshotEnrichment>> enrichment;
  for (const auto& [network, e] : s.enrichment) {
    auto n = fbu::network_name(b, network), err = opt(b, e.last_error ? to_string(*e.last_error) : "");
    fb::SnapshotEnrichmentBuilder eb(b);
    eb.add_network(n);
    eb.add_state(static_cast<uint8_t>(e.state));
    eb.add_attempts(e.attempts);
    eb.add_cycle_attempts(e.cycle_attempts);
    eb.add_last_error(err);
    if (e.next_attempt_at) eb.add_next_attempt_at_ms(*e.next_attempt_at);
    if (e.last_success_at) eb.add_last_success_at_ms(*e.last_success_at);
    enrichment.push_back(eb.Finish());
  }
  std::vector<flatbuffers::Offset<fb::SnapshotFollowers>> followers;
  for (const auto& f : s.instagram_followers) followers.push_back(fb::CreateSnapshotFollowers(b, f.at, f.followers));
  std::vector<flatbuffers::Offset<fb::SnapshotSeen>> seen;
  for (const auto& e : s.seen)
    seen.push_back(fb::CreateSnapshotSeen(b, b.CreateString(e.event_id), b.CreateVector(e.digest.data(), e.digest.size()),
                                          e.version, e.position));
  auto correlation = opt(b, s.correlation_id);
  auto lead_id = opt(b, s.lead_id), country = opt(b, c.country), locale = opt(b, c.locale);
  flatbuffers::Offset<flatbuffers::Vector<str_offset>> reasons;
  str_offset rules, by;
  if (s.qualification) {
    reasons = strings(b, s.qualification->reasons);
    rules = opt(b, s.qualification->rules_version);
    by = opt(b, s.qualification->decided_by);
  }
  auto social_v = b.CreateVector(social);
  auto enrichment_v = b.CreateVector(enrichment);
  auto followers_v = b.CreateVector(followers);
  auto seen_v = b.CreateVector(seen);
  auto work = encode_work(b, s.work);
  fb::LeadSnapshotBuilder sb(b);
  sb.add_lead_id(lead_id);
  sb.add_version(s.version);
  sb.add_position(s.position);
  sb.add_status(static_cast<uint8_t>(s.status));
  sb.add_signed_up_at_ms(s.signed_up_at);
  sb.add_signup_recorded_at_ms(s.signup_recorded_at);
  sb.add_updated_at_ms(s.updated_at);
  sb.add_contact(contact);
  sb.add_country(country);
  sb.add_locale(locale);
  sb.add_source(source);
  sb.add_personal_erased(s.personal_erased);
  if (s.qualification) {
    sb.add_has_qualification(true);
    sb.add_qualification_outcome(s.qualification->result == outcome::qualified ? fb::Outcome::qualified
                                                                                 : fb::Outcome::disqualified);
    sb.add_qualification_reasons(reasons);
    sb.add_qualification_rules_version(rules);
    sb.add_qualification_decided_by(by);
    sb.add_qualification_at_ms(s.qualification->at);
  }
  sb.add_social(social_v);
  sb.add_enrichment(enrichment_v);
  sb.add_instagram_followers(followers_v);
  if (s.final_at) sb.add_final_at_ms(*s.final_at);
  sb.add_seen(seen_v);
  sb.add_correlation_id(correlation);
  sb.add_had_phone(c.has_phone());
  sb.add_had_document(c.has_document());
  sb.add_had_instagram(c.has_instagram());
  sb.add_had_youtube(c.has_youtube());
  sb.add_had_tiktok(c.has_tiktok());
  sb.add_work(work);
  b.Finish(sb.Finish());
  return std::string(reinterpret_cast<const char*>(b.GetBufferPointer()), b.GetSize());
}

result<lead_state> decode_snapshot(std::string_view bytes) {
  thread_local std::vector<uint64_t> scratch;
  bytes = fbu::aligned(bytes, scratch);
  flatbuffers::Verifier v(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  if (!v.VerifyBuffer<fb::LeadSnapshot>(nullptr)) return error{errc::corrupt_data, "snapshot fails verification"};
  auto* x = flatbuffers::GetRoot<fb::LeadSnapshot>(bytes.data());
  if (x->status() > static_cast<uint8_t>(lead_status::erased))
    return error{errc::corrupt_data, "snapshot has an unknown status"};
  lead_state s;
  s.lead_id = str(x->lead_id());
  s.version = x->version();
  s.position = x->position();
  s.status = static_cast<lead_status>(x->status());
  s.signed_up_at = x->signed_up_at_ms();
  s.signup_recorded_at = x->signup_recorded_at_ms();
  s.updated_at = x->updated_at_ms();
  if (auto* c = x->contact()) {
    s.contact.email = str(c->email());
    s.contact.name = str(c->name());
    s.contact.phone = str(c->phone());
    s.contact.document = str(c->document());
    s.contact.social = {str(c->instagram()), str(c->youtube()), str(c->tiktok())};
  }
  s.contact.country = str(x->country());
  s.contact.locale = str(x->locale());
  if (auto* u = x->source())
    s.contact.source = {str(u->utm_source()), str(u->utm_medium()), str(u->utm_campaign()), str(u->utm_term()),
                        str(u->utm_content())};
  s.personal_erased = x->personal_erased();
  s.correlation_id = str(x->correlation_id());
  s.contact.had_phone = x->had_phone();
  s.contact.had_document = x->had_document();
  s.contact.had_instagram = x->had_instagram();
  s.contact.had_youtube = x->had_youtube();
  s.contact.had_tiktok = x->had_tiktok();
  if (x->has_qualification()) {
    qualification_view q;
    q.result = x->qualification_outcome() == fb::Outcome::disqualified ? outcome::disqualified : outcome::qualified;
    q.reasons = strings(x->qualification_reasons());
    q.rules_version = str(x->qualification_rules_version());
    q.decided_by = str(x->qualification_decided_by());
    q.at = x->qualification_at_ms();
    s.qualification = std::move(q);
  }
  if (auto* social = x->social())
    for (auto* p : *social) {
      network_profile& prof = s.social[fbu::network_named(p->network())];
      prof.handle = str(p->handle());
      prof.followers = p->followers();
      prof.follows = p->follows();
      prof.media_count = p->media_count();
      if (auto r = p->engagement_rate()) prof.engagement_rate = *r;
      if (auto r = p->posts_per_week()) prof.posts_per_week = *r;
      if (auto* m = p->content_mix()) prof.mix = {m->image(), m->video(), m->carousel(), m->reels()};
      prof.creator_tier = str(p->creator_tier());
      prof.likes_hidden = p->likes_hidden();
      prof.provider = str(p->provider());
      prof.fetched_at = p->fetched_at_ms();
      prof.missing_fields = strings(p->missing_fields());
      if (auto r = p->views()) prof.views = *r;
    }
  if (auto* enrichment = x->enrichment())
    for (auto* e : *enrichment) {
      if (e->state() > static_cast<uint8_t>(enrichment_state::failed))
        return error{errc::corrupt_data, "snapshot has an unknown enrichment state"};
      network_enrichment& prog = s.enrichment[fbu::network_named(e->network())];
      prog.state = static_cast<enrichment_state>(e->state());
      prog.attempts = e->attempts();
      prog.cycle_attempts = e->cycle_attempts();
      if (const std::string cls = str(e->last_error()); !cls.empty())
        prog.last_error = failure_class_from_string(cls).value_or(failure_class::unknown);
      if (auto r = e->next_attempt_at_ms()) prog.next_attempt_at = *r;
      if (auto r = e->last_success_at_ms()) prog.last_success_at = *r;
    }
  if (auto* f = x->instagram_followers())
    for (auto* p : *f) s.instagram_followers.push_back({p->at_ms(), p->followers()});
  if (auto r = x->final_at_ms()) s.final_at = *r;
  if (auto* seen = x->seen())
    for (auto* e : *seen) {
      seen_event se;
      se.event_id = str(e->event_id());
      fbu::copy_bytes(e->digest(), se.digest);
      se.version = e->version();
      se.position = e->position();
      s.seen.push_back(std::move(se));
    }
  s.work = decode_work(x->work());
  return s;
}

} // namespace leadbase
