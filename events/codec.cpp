#include "events/codec.hpp"

#include <flatbuffers/flatbuffers.h>

#include "events/fb_util.hpp"
#include "events/lead_events_generated.h"

namespace leadbase {

personal_fields personal_of(const event& ev) {
  personal_fields p;
  if (auto* s = std::get_if<signed_up>(&ev.data)) {
    p.email = s->email;
    p.name = s->name;
    p.phone = s->phone;
    p.document = s->document;
    p.instagram = s->social.instagram;
    p.youtube = s->social.youtube;
    p.tiktok = s->social.tiktok;
  } else if (auto* e = std::get_if<enriched>(&ev.data)) {
    p.handle = e->handle;
  } else if (auto* f = std::get_if<enrichment_failed>(&ev.data)) {
    p.handle = f->handle;
  } else if (auto* c = std::get_if<contact_logged>(&ev.data)) {
    p.note = c->note;
  }
  return p;
}

void restore_personal(event& ev, const personal_fields& p) {
  if (auto* s = std::get_if<signed_up>(&ev.data)) {
    s->email = p.email;
    s->name = p.name;
    s->phone = p.phone;
    s->document = p.document;
    s->social.instagram = p.instagram;
    s->social.youtube = p.youtube;
    s->social.tiktok = p.tiktok;
  } else if (auto* e = std::get_if<enriched>(&ev.data)) {
    e->handle = p.handle;
  } else if (auto* f = std::get_if<enrichment_failed>(&ev.data)) {
    f->handle = p.handle;
  } else if (auto* c = std::get_if<contact_logged>(&ev.data)) {
    c->note = p.note;
  }
}

namespace {

using fbu::copy_bytes;
using fbu::opt_string;
using fbu::str;
using fbu::strings;

std::string finish(flatbuffers::FlatBufferBuilder& b) {
  return std::string(reinterpret_cast<const char*>(b.GetBufferPointer()), b.GetSize());
}

} // namespace

std::string encode_personal(const personal_fields& p) {
  flatbuffers::FlatBufferBuilder b(256);
  auto email = opt_string(b, p.email), name = opt_string(b, p.name), phone = opt_string(b, p.phone),
       document = opt_string(b, p.document), instagram = opt_string(b, p.instagram),
       youtube = opt_string(b, p.youtube), tiktok = opt_string(b, p.tiktok), handle = opt_string(b, p.handle),
       note = opt_string(b, p.note);
  b.Finish(fb::CreatePersonal(b, email, name, phone, document, instagram, youtube, tiktok, handle, note));
  return finish(b);
}

result<personal_fields> decode_personal(std::string_view bytes) {
  thread_local std::vector<uint64_t> scratch;
  bytes = fbu::aligned(bytes, scratch);
  flatbuffers::Verifier v(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  if (!v.VerifyBuffer<fb::Personal>(nullptr)) return error{errc::corrupt_data, "personal data fails verification"};
  auto* p = flatbuffers::GetRoot<fb::Personal>(bytes.data());
  return personal_fields{str(p->email()),     str(p->name()),    str(p->phone()),  str(p->document()),
                         str(p->instagram()), str(p->youtube()), str(p->tiktok()), str(p->handle()),
                         str(p->note())};
}

std::string encode_event(const event& ev, std::string_view sealed) {
  thread_local flatbuffers::FlatBufferBuilder b(1024);
  b.Clear();
  fb::Payload type = fb::Payload::NONE;
  flatbuffers::Offset<void> body;
  std::visit(
      [&](const auto& p) {
        using T = std::decay_t<decltype(p)>;
        if constexpr (std::is_same_v<T, signed_up>) {
          auto country = opt_string(b, p.country), locale = opt_string(b, p.locale);
          const utm_source& u = p.source;
          flatbuffers::Offset<fb::Source> source;
          if (!(u.utm_source.empty() && u.utm_medium.empty() && u.utm_campaign.empty() && u.utm_term.empty() &&
                u.utm_content.empty())) {
            auto a = opt_string(b, u.utm_source), m = opt_string(b, u.utm_medium),
                 c = opt_string(b, u.utm_campaign), t = opt_string(b, u.utm_term),
                 n = opt_string(b, u.utm_content);
            source = fb::CreateSource(b, a, m, c, t, n);
          }
          type = fb::Payload::SignedUp;
          body = fb::CreateSignedUp(b, country, locale, source, p.has_phone(), p.has_document(), p.has_instagram(),
                                    p.has_youtube(), p.has_tiktok())
                     .Union();
        } else if constexpr (std::is_same_v<T, qualified>) {
          std::vector<flatbuffers::Offset<flatbuffers::String>> reasons;
          for (const auto& r : p.reasons) reasons.push_back(b.CreateString(r));
          auto rv = b.CreateVector(reasons);
          auto rules = opt_string(b, p.rules_version), by = opt_string(b, p.decided_by);
          type = fb::Payload::Qualified;
          body = fb::CreateQualified(b, p.result == outcome::qualified ? fb::Outcome::qualified
                                                                       : fb::Outcome::disqualified,
                                     rv, rules, by)
                     .Union();
        } else if constexpr (std::is_same_v<T, enriched>) {
          auto network = fbu::network_name(b, p.network), tier = opt_string(b, p.creator_tier),
               provider = opt_string(b, p.provider);
          std::vector<flatbuffers::Offset<flatbuffers::String>> missing;
          for (const auto& m : p.missing_fields) missing.push_back(b.CreateString(m));
          auto mv = b.CreateVector(missing);
          auto mix = fb::CreateContentMix(b, p.mix.image, p.mix.video, p.mix.carousel, p.mix.reels);
          fb::EnrichedBuilder eb(b);
          eb.add_network(network);
          eb.add_followers(p.followers);
          eb.add_follows(p.follows);
          eb.add_media_count(p.media_count);
          if (p.engagement_rate) eb.add_engagement_rate(*p.engagement_rate);
          if (p.posts_per_week) eb.add_posts_per_week(*p.posts_per_week);
          eb.add_content_mix(mix);
          eb.add_creator_tier(tier);
          eb.add_likes_hidden(p.likes_hidden);
          eb.add_provider(provider);
          eb.add_fetched_at_ms(p.fetched_at);
          eb.add_missing_fields(mv);
          if (p.views) eb.add_views(*p.views);
          type = fb::Payload::Enriched;
          body = eb.Finish().Union();
        } else if constexpr (std::is_same_v<T, enrichment_failed>) {
          auto network = fbu::network_name(b, p.network), cls = b.CreateString(to_string(p.error_class)),
               code = opt_string(b, p.provider_code);
          fb::EnrichmentFailedBuilder fbld(b);
          fbld.add_network(network);
          fbld.add_attempt(p.attempt);
          fbld.add_error_class(cls);
          fbld.add_provider_code(code);
          fbld.add_retryable(p.retryable);
          if (p.next_attempt_at) fbld.add_next_attempt_at_ms(*p.next_attempt_at);
          type = fb::Payload::EnrichmentFailed;
          body = fbld.Finish().Union();
        } else if constexpr (std::is_same_v<T, erased>) {
          auto reason = opt_string(b, p.reason), by = opt_string(b, p.requested_by);
          type = fb::Payload::Erased;
          body = fb::CreateErased(b, reason, by).Union();
        } else if constexpr (std::is_same_v<T, assigned>) {
          auto owner = opt_string(b, p.owner), by = opt_string(b, p.by), how = b.CreateString(to_string(p.how));
          fb::AssignedBuilder ab(b);
          ab.add_owner(owner);
          ab.add_by(by);
          ab.add_how(how);
          if (p.expires_at) ab.add_expires_at_ms(*p.expires_at);
          type = fb::Payload::Assigned;
          body = ab.Finish().Union();
        } else if constexpr (std::is_same_v<T, released>) {
          auto owner = opt_string(b, p.owner), by = opt_string(b, p.by), why = b.CreateString(to_string(p.reason));
          type = fb::Payload::Released;
          body = fb::CreateReleased(b, owner, by, why).Union();
        } else if constexpr (std::is_same_v<T, contact_logged>) {
          auto by = opt_string(b, p.by), channel = b.CreateString(to_string(p.channel)),
               outcome_name = b.CreateString(to_string(p.result));
          fb::ContactLoggedBuilder cb(b);
          cb.add_by(by);
          cb.add_channel(channel);
          cb.add_outcome(outcome_name);
          cb.add_contacted_at_ms(p.contacted_at);
          cb.add_has_note(p.has_note());
          if (p.claim_expires_at) cb.add_claim_expires_at_ms(*p.claim_expires_at);
          type = fb::Payload::ContactLogged;
          body = cb.Finish().Union();
        } else {
          type = fb::Payload::NONE;  // unknown events are never re-encoded
        }
      },
      ev.data);
  const envelope& m = ev.meta;
  auto event_id = opt_string(b, m.event_id), lead_id = opt_string(b, m.lead_id),
       correlation = opt_string(b, m.correlation_id), causation = opt_string(b, m.causation_id);
  auto prev = b.CreateVector(m.prev_hash.data(), m.prev_hash.size());
  auto digest = b.CreateVector(m.digest.data(), m.digest.size());
  auto sealed_v = b.CreateVector(reinterpret_cast<const uint8_t*>(sealed.data()), sealed.size());
  b.Finish(fb::CreateEnvelope(b, event_id, lead_id, m.version, m.position, m.schema_version, m.occurred_at,
                              m.recorded_at, correlation, causation, prev, digest, sealed_v, type, body),
           fb::EnvelopeIdentifier());
  return finish(b);
}

result<decoded_event> decode_event(std::string_view given) {
  thread_local std::vector<uint64_t> scratch;
  const std::string_view bytes = fbu::aligned(given, scratch);
  flatbuffers::Verifier v(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  if (!fb::VerifyEnvelopeBuffer(v)) return error{errc::corrupt_data, "stored event fails verification"};
  const fb::Envelope* e = fb::GetEnvelope(bytes.data());
  decoded_event out;
  envelope& m = out.ev.meta;
  m.event_id = str(e->event_id());
  m.lead_id = str(e->lead_id());
  m.version = e->version();
  m.position = e->position();
  m.schema_version = e->schema_version();
  m.occurred_at = e->occurred_at_ms();
  m.recorded_at = e->recorded_at_ms();
  m.correlation_id = str(e->correlation_id());
  m.causation_id = str(e->causation_id());
  copy_bytes(e->prev_hash(), m.prev_hash);
  copy_bytes(e->content_digest(), m.digest);
  if (auto* s = e->sealed()) {
    // Into the bytes given, not the aligned copy (reused by the next call).
    const size_t at = static_cast<size_t>(reinterpret_cast<const char*>(s->data()) - bytes.data());
    out.sealed = given.substr(at, s->size());
  }
  // The verifier accepts a union whose type is set and whose table is absent;
  // every writer stores the table, so such a record is damaged (found by
  // fuzz/event_codec_fuzz.cpp: reading it dereferenced a null table).
  const auto type = e->payload_type();
  if (type >= fb::Payload::SignedUp && type <= fb::Payload::ContactLogged && e->payload() == nullptr)
    return error{errc::corrupt_data, "stored event has a payload type but no payload"};
  switch (type) {
    case fb::Payload::SignedUp: {
      auto* p = e->payload_as_SignedUp();
      signed_up s;
      s.country = str(p->country());
      s.locale = str(p->locale());
      s.had_phone = p->has_phone();
      s.had_document = p->has_document();
      s.had_instagram = p->has_instagram();
      s.had_youtube = p->has_youtube();
      s.had_tiktok = p->has_tiktok();
      if (auto* u = p->source())
        s.source = {str(u->utm_source()), str(u->utm_medium()), str(u->utm_campaign()), str(u->utm_term()),
                    str(u->utm_content())};
      out.ev.data = std::move(s);
      break;
    }
    case fb::Payload::Qualified: {
      auto* p = e->payload_as_Qualified();
      qualified q;
      q.result = p->outcome() == fb::Outcome::disqualified ? outcome::disqualified : outcome::qualified;
      q.reasons = strings(p->reasons());
      q.rules_version = str(p->rules_version());
      q.decided_by = str(p->decided_by());
      out.ev.data = std::move(q);
      break;
    }
    case fb::Payload::Enriched: {
      auto* p = e->payload_as_Enriched();
      enriched x;
      x.network = fbu::network_named(p->network());
      x.followers = p->followers();
      x.follows = p->follows();
      x.media_count = p->media_count();
      if (auto r = p->engagement_rate()) x.engagement_rate = *r;
      if (auto r = p->posts_per_week()) x.posts_per_week = *r;
      if (auto* mix = p->content_mix()) x.mix = {mix->image(), mix->video(), mix->carousel(), mix->reels()};
      x.creator_tier = str(p->creator_tier());
      x.likes_hidden = p->likes_hidden();
      x.provider = str(p->provider());
      x.fetched_at = p->fetched_at_ms();
      x.missing_fields = strings(p->missing_fields());
      if (auto r = p->views()) x.views = *r;
      out.ev.data = std::move(x);
      break;
    }
    case fb::Payload::EnrichmentFailed: {
      auto* p = e->payload_as_EnrichmentFailed();
      enrichment_failed f;
      f.network = fbu::network_named(p->network());
      f.attempt = p->attempt();
      f.error_class = failure_class_from_string(str(p->error_class())).value_or(failure_class::unknown);
      f.provider_code = str(p->provider_code());
      f.retryable = p->retryable();
      if (auto r = p->next_attempt_at_ms()) f.next_attempt_at = *r;
      out.ev.data = std::move(f);
      break;
    }
    case fb::Payload::Erased: {
      auto* p = e->payload_as_Erased();
      out.ev.data = erased{str(p->reason()), str(p->requested_by())};
      break;
    }
    case fb::Payload::Assigned: {
      auto* p = e->payload_as_Assigned();
      assigned a{str(p->owner()), str(p->by()), assign_how_from_string(str(p->how())).value_or(assign_how::claim),
                 std::nullopt};
      if (auto r = p->expires_at_ms()) a.expires_at = *r;
      out.ev.data = std::move(a);
      break;
    }
    case fb::Payload::Released: {
      auto* p = e->payload_as_Released();
      out.ev.data = released{str(p->owner()), str(p->by()),
                             release_reason_from_string(str(p->reason())).value_or(release_reason::by_owner)};
      break;
    }
    case fb::Payload::ContactLogged: {
      auto* p = e->payload_as_ContactLogged();
      contact_logged c;
      c.by = str(p->by());
      c.channel = contact_channel_from_string(str(p->channel())).value_or(contact_channel::other);
      c.result = contact_outcome_from_string(str(p->outcome())).value_or(contact_outcome::no_answer);
      c.contacted_at = p->contacted_at_ms();
      c.had_note = p->has_note();
      if (auto r = p->claim_expires_at_ms()) c.claim_expires_at = *r;
      out.ev.data = std::move(c);
      break;
    }
    default:
      out.ev.data = unknown_event{static_cast<uint8_t>(type)};
      break;
  }
  return out;
}

} // namespace leadbase

namespace leadbase {

std::string canonical_bytes(const event& ev) {
  event c;
  c.data = ev.data;
  c.meta.event_id = ev.meta.event_id;
  c.meta.lead_id = ev.meta.lead_id;
  c.meta.occurred_at = ev.meta.occurred_at;
  std::string out = encode_personal(personal_of(ev));
  out += encode_event(c, {});
  return out;
}

} // namespace leadbase
