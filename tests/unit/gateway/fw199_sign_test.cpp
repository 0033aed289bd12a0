#include <doctest/doctest.h>

#include "herald/gateway/signers.hpp"

using namespace herald::gateway;

// The fw199 rule is unconfirmed against an official vector (docs/gateways.md), so every expected
// signature here was computed outside Herald, in the shell:
//   printf '%s' '<secret><canonical string><secret>' | md5sum

TEST_CASE("the fw199 signature is the lower-case MD5 of secret + sorted name/value pairs + secret") {
  // printf '%s' 'test-secret-not-realappidapp-123request_data[{"order_id":"1001","oaid":"oaid-1"}]tb_seller_nick测试店铺timestamp1700000000test-secret-not-real' | md5sum
  //   → afa67913a5eee59481ee55721657bc3f
  const std::vector<sign_param> params{{"timestamp", "1700000000"},
                                       {"tb_seller_nick", "测试店铺"},
                                       {"appid", "app-123"},
                                       {"request_data", R"([{"order_id":"1001","oaid":"oaid-1"}])"}};
  CHECK(fw199_canonical_string(params) ==
        R"(appidapp-123request_data[{"order_id":"1001","oaid":"oaid-1"}]tb_seller_nick测试店铺timestamp1700000000)");
  CHECK(sign_fw199(params, "test-secret-not-real") == "afa67913a5eee59481ee55721657bc3f");
}

TEST_CASE("the fw199 canonical string sorts names in byte order, ignores sign and keeps empty values") {
  // Byte order: upper case before lower case, '_' (0x5F) before 'b' (0x62), a prefix first.
  const std::vector<sign_param> params{{"ab", "1"}, {"sign", "0123456789abcdef"}, {"a_b", "2"},
                                       {"B", "3"},  {"empty", ""},                 {"a", "4"}};
  CHECK(fw199_canonical_string(params) == "B3a4a_b2ab1empty");
  // printf '%s' 'test-secretB3a4a_b2ab1emptytest-secret' | md5sum → a1812819b661b03fdcb9105155a539f7
  CHECK(sign_fw199(params, "test-secret") == "a1812819b661b03fdcb9105155a539f7");
}

TEST_CASE("an empty value still changes the fw199 signature (its name is signed)") {
  // printf '%s' 'test-secretB3a4a_b2ab1test-secret' | md5sum → b1c4cfd88762b2d66e7555e71d53a0de
  const std::vector<sign_param> without_empty{{"ab", "1"}, {"a_b", "2"}, {"B", "3"}, {"a", "4"}};
  CHECK(sign_fw199(without_empty, "test-secret") == "b1c4cfd88762b2d66e7555e71d53a0de");
  std::vector<sign_param> with_empty = without_empty;
  with_empty.emplace_back("empty", "");
  CHECK(sign_fw199(with_empty, "test-secret") != sign_fw199(without_empty, "test-secret"));
}

TEST_CASE("the fw199 signature does not depend on the order of the parameters") {
  const std::vector<sign_param> forward{{"appid", "x"}, {"timestamp", "1"}, {"request_data", "[]"}};
  const std::vector<sign_param> backward{{"request_data", "[]"}, {"timestamp", "1"}, {"appid", "x"}};
  CHECK(sign_fw199(forward, "s") == sign_fw199(backward, "s"));
  CHECK(sign_fw199(forward, "s").size() == 32);
}
