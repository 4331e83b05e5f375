#pragma once
// The small writing steps every JSON document of the API shares (events/json.hpp's
// conventions): strings with their length, "" as null, times as format_time,
// non-finite doubles as null, personal fields as "[erased]" after erasure.
// Used by events/json_render.cpp (events, histories) and by the read side's
// renderers (projections/view_json.cpp, the audit documents); it includes
// <rapidjson/writer.h>, so only renderers include it.
#include <cmath>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "events/json.hpp"
#include "events/time.hpp"

namespace leadbase::json_write {

inline void key(json_writer& w, const char* k) { w.Key(k); }

inline void str(json_writer& w, std::string_view s) {
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}

/// An optional string: "" is absent.
inline void opt_str(json_writer& w, std::string_view s) {
  if (s.empty())
    w.Null();
  else
    str(w, s);
}

inline void time_str(json_writer& w, millis t) { str(w, format_time(t)); }

inline void opt_time(json_writer& w, const std::optional<millis>& t) {
  if (t)
    time_str(w, *t);
  else
    w.Null();
}

/// rapidjson writes nothing for NaN and infinities (and the document breaks).
inline void number(json_writer& w, double d) {
  if (std::isfinite(d))
    w.Double(d);
  else
    w.Null();
}

inline void opt_number(json_writer& w, const std::optional<double>& d) {
  if (d)
    number(w, *d);
  else
    w.Null();
}

/// A personal field that is always present when the data is there (email,
/// name, a fetched handle).
inline void personal_required(json_writer& w, std::string_view value, bool erased) {
  if (erased)
    str(w, erased_marker);
  else
    opt_str(w, value);
}

/// A personal field that may have been absent: after erasure "[erased]" when
/// the signup had it (signed_up's presence flags), null when it never did.
inline void personal_optional(json_writer& w, std::string_view value, bool erased, bool had) {
  if (erased && (had || !value.empty()))
    str(w, erased_marker);
  else
    opt_str(w, value);
}

inline void string_array(json_writer& w, const std::vector<std::string>& v) {
  w.StartArray();
  for (const auto& s : v) str(w, s);
  w.EndArray();
}

inline void mix(json_writer& w, const content_mix& m) {
  w.StartObject();
  key(w, "image");
  number(w, m.image);
  key(w, "video");
  number(w, m.video);
  key(w, "carousel");
  number(w, m.carousel);
  key(w, "reels");
  number(w, m.reels);
  w.EndObject();
}

/// The text written so far.
inline std::string text_of(const rapidjson::StringBuffer& buf) { return std::string(buf.GetString(), buf.GetSize()); }

} // namespace leadbase::json_write
