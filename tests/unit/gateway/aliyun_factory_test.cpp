#include <doctest/doctest.h>

#include "aliyun_test_support.hpp"
#include "herald/gateway/gateway.hpp"

using namespace herald;
using namespace herald::gateway;

TEST_CASE("make_gateway gives the Alibaba Cloud gateways for aliyun_sms and aliyun_card accounts") {
  auto account = test::aliyun_account(config::gateway_kind::aliyun_sms);
  auto gw = make_gateway(account);
  REQUIRE(gw != nullptr);
  CHECK(gw->caps().max_batch == 1);
  CHECK(gw->caps().has_receipt_query);

  account.use_batch_api = true;
  CHECK(make_gateway(account)->caps().max_batch == 100);

  account.gateway = config::gateway_kind::aliyun_card;
  account.max_batch = 30;
  gw = make_gateway(account);
  CHECK(gw->caps().max_batch == 30);
  CHECK(gw->caps().routes_by_sign_and_template);

  account.region_id.clear();
  CHECK_THROWS_WITH_AS(make_gateway(account), "account 'aliyun-a': the aliyun_card gateway needs region_id",
                       std::invalid_argument);
}
