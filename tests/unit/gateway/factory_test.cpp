#include <doctest/doctest.h>

#include "herald/gateway/gateway.hpp"
#include "test_support.hpp"

using namespace herald;
using namespace herald::gateway;

TEST_CASE("make_gateway gives the fw199 taobao gateway for a fw199_taobao account") {
  auto account = test::fw199_account();
  account.max_batch = 50;
  const auto gw = make_gateway(account);
  REQUIRE(gw != nullptr);
  CHECK(gw->caps().max_batch == 50);
  CHECK_FALSE(gw->caps().routes_by_sign_and_template);
}

TEST_CASE("make_gateway passes on a gateway's refusal of an account without a credential it needs") {
  auto account = test::fw199_account();
  account.gateway = config::gateway_kind::top_oaid;  // fw199 credentials: no session
  CHECK_THROWS_WITH_AS(make_gateway(account), "account 'shop-a': the top_oaid gateway needs session",
                       std::invalid_argument);
}

TEST_CASE("outcome classes have stable names") {
  CHECK(to_string(outcome_class::sent) == "sent");
  CHECK(to_string(outcome_class::permanent) == "permanent");
  CHECK(to_string(outcome_class::recipient_limited) == "recipient_limited");
  CHECK(to_string(outcome_class::throttled) == "throttled");
  CHECK(to_string(outcome_class::ambiguous) == "ambiguous");
}
