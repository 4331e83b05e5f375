#pragma once
// The answers to an append (POST /v1/signups, POST /v1/leads/{id}/erase, the
// manual enrichment retry), written once: a refused append is the problem of
// its errc (problem.hpp's one table); an accepted one is an object with the
// route's own string members first, then "version" and "position" of the
// event in the log, and "duplicate": true when the event was already there
// (an idempotent retry, docs/http-api.md).
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

#include "actors/lead_service.hpp"
#include "http/message.hpp"

namespace leadbase::http {

/// The problem response of a refused append (o.code != success).
response append_problem(const append_outcome& o);

/// `{leading…, "version", "position"[, "duplicate": true]}` of an accepted append.
std::string append_document(const append_outcome& o,
                            std::initializer_list<std::pair<const char*, std::string_view>> leading);

} // namespace leadbase::http
