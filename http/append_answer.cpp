#include "http/append_answer.hpp"

#include "events/json_write.hpp"
#include "http/problem.hpp"

namespace leadbase::http {

response append_problem(const append_outcome& o) { return problem_response(error{o.code, o.message}); }

std::string append_document(const append_outcome& o,
                            std::initializer_list<std::pair<const char*, std::string_view>> leading) {
  rapidjson::StringBuffer buf;
  json_writer w(buf);
  w.StartObject();
  for (const auto& [key, value] : leading) {
    w.Key(key);
    json_write::str(w, value);
  }
  w.Key("version");
  w.Uint64(o.version);
  w.Key("position");
  w.Uint64(o.position);
  if (o.duplicate) {
    w.Key("duplicate");
    w.Bool(true);
  }
  w.EndObject();
  return json_write::text_of(buf);
}

} // namespace leadbase::http
