// answer_once: the guard that answers a dropped append instead of leaving
// its caller waiting.
#include <catch2/catch.hpp>

#include <memory>
#include <vector>

#include "actors/answer_once.hpp"

using namespace leadbase;
using leadbase::actors::answer_once;

TEST_CASE("answer_once: answered once, the slot given back once", "[actors]") {
  std::atomic<size_t> in_flight{1};
  std::vector<errc> heard;
  {
    answer_once a([&](append_outcome o) { heard.push_back(o.code); }, in_flight);
    append_outcome ok;
    a.answer(ok);
    append_outcome again;
    again.code = errc::conflict;
    a.answer(again);  // ignored
  }  // the destructor does not answer again
  REQUIRE(heard.size() == 1);
  CHECK(heard[0] == errc::success);
  CHECK(in_flight == 0);
}

TEST_CASE("answer_once: dropped unanswered, it answers internal", "[actors]") {
  std::atomic<size_t> in_flight{2};
  std::vector<append_outcome> heard;
  auto shared = std::make_shared<answer_once>([&](append_outcome o) { heard.push_back(std::move(o)); }, in_flight);
  auto copy = shared;  // two messages carry it
  shared.reset();
  CHECK(heard.empty());
  copy.reset();  // the last one is dropped
  REQUIRE(heard.size() == 1);
  CHECK(heard[0].code == errc::internal);
  CHECK_FALSE(heard[0].message.empty());
  CHECK(in_flight == 1);
}
