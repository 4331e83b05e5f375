#pragma once
// An invariant of a fuzz target: when it does not hold, print what broke and
// abort, which libFuzzer records as a crash (with the input that caused it).
#include <cstdio>
#include <cstdlib>

#define FUZZ_CHECK(cond, what)                                                        \
  do {                                                                                \
    if (!(cond)) {                                                                    \
      std::fprintf(stderr, "fuzz invariant broken at %s:%d: %s (%s)\n", __FILE__,     \
                   __LINE__, what, #cond);                                            \
      std::abort();                                                                   \
    }                                                                                 \
  } while (0)
