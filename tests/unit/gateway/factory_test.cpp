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

TEST_CASE("make_gateway refuses a gateway kind that is not implemented yet") {
  auto account = test::fw199_account();
  account.gateway = config::gateway_kind::aliyun_sms;
  CHECK_THROWS_WITH_AS(make_gateway(account), "gateway kind aliyun_sms is not implemented yet", std::invalid_argument);
  account.gateway = config::gateway_kind::top_oaid;
  CHECK_THROWS_AS(make_gateway(account), std::invalid_argument);
}

TEST_CASE("outcome classes have stable names") {
  CHECK(to_string(outcome_class::sent) == "sent");
  CHECK(to_string(outcome_class::permanent) == "permanent");
  CHECK(to_string(outcome_class::recipient_limited) == "recipient_limited");
  CHECK(to_string(outcome_class::throttled) == "throttled");
  CHECK(to_string(outcome_class::ambiguous) == "ambiguous");
}
