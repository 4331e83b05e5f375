#pragma once
// A network profile's measured fields as JSON members, shared by an `enriched`
// event's data (events/json_render.cpp) and a lead view's `social` entry
// (projections/view_json.cpp), which show the same fields in the same order.
#include "events/event.hpp"
#include "events/json_write.hpp"

namespace leadbase::json_write {

/// "handle" (personal: "[erased]" once erased) through "likes_hidden", into
/// an object the caller has started.
inline void profile_members(json_writer& w, const network_profile& p, bool erased) {
  key(w, "handle");
  personal_required(w, p.handle, erased);
  key(w, "followers");
  w.Int64(p.followers);
  key(w, "follows");
  w.Int64(p.follows);
  key(w, "media_count");
  w.Int64(p.media_count);
  key(w, "engagement_rate");
  opt_number(w, p.engagement_rate);
  key(w, "posts_per_week");
  opt_number(w, p.posts_per_week);
  key(w, "content_mix");
  mix(w, p.mix);
  key(w, "creator_tier");
  opt_str(w, p.creator_tier);
  key(w, "likes_hidden");
  w.Bool(p.likes_hidden);
}

} // namespace leadbase::json_write
