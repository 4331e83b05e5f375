// One Catch2 main for each test binary; the test files hold only TEST_CASEs.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
