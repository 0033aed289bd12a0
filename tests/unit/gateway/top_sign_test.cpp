#include <doctest/doctest.h>

#include "herald/gateway/top_sign.hpp"

using namespace herald::gateway;

namespace {

// The parameters of TOP's public signing example (TOP signing guide; docs/gateways.md "TOP OAID
// send"), with the sign_method value given.
std::vector<sign_param> guide_params(std::string_view sign_method) {
  return {{"method", "taobao.item.seller.get"},
          {"app_key", "12345678"},
          {"session", "test"},
          {"timestamp", "2016-01-01 12:00:00"},
          {"format", "json"},
          {"v", "2.0"},
          {"sign_method", sign_method},
          {"fields", "num_iid,title,nick,price,num"},
          {"num_iid", "11223344"}};
}

}  // namespace

TEST_CASE("the TOP md5 signature matches the public test vector of TOP's signing guide") {
  // TOP signing guide (docs/gateways.md "TOP OAID send"): secret helloworld →
  // 66987CB115214E59E6EC978214934FB8.
  const auto params = guide_params("md5");
  CHECK(top_canonical_string(params) ==
        "app_key12345678fieldsnum_iid,title,nick,price,numformatjsonmethodtaobao.item.seller.getnum_iid11223344"
        "sessiontestsign_methodmd5timestamp2016-01-01 12:00:00v2.0");
  CHECK(sign_top(params, "helloworld", top_sign_method::md5) == "66987CB115214E59E6EC978214934FB8");
}

TEST_CASE("the TOP hmac signature is the upper-case HMAC-MD5 of the canonical string, keyed with the secret") {
  // Computed outside Herald:
  //   printf '%s' 'app_key12345678fieldsnum_iid,title,nick,price,numformatjsonmethodtaobao.item.seller.get
  //   num_iid11223344sessiontestsign_methodhmactimestamp2016-01-01 12:00:00v2.0' | openssl dgst -md5 -hmac helloworld
  //   (one line) → d56d7858309c31b6251083a874d48273
  CHECK(sign_top(guide_params("hmac"), "helloworld", top_sign_method::hmac) == "D56D7858309C31B6251083A874D48273");
  // The guide's own string (sign_method=md5 in it), HMAC-MD5 keyed with the secret:
  //   printf '%s' '<the canonical string of the test above>' | openssl dgst -md5 -hmac helloworld
  //   → b4dda503460d60a86b16e950e5d303e9
  CHECK(sign_top(guide_params("md5"), "helloworld", top_sign_method::hmac) == "B4DDA503460D60A86B16E950E5D303E9");
}

TEST_CASE("the TOP hmac-sha256 signature is the upper-case HMAC-SHA256 of the canonical string") {
  // printf '%s' 'app_key12345678fieldsnum_iid,title,nick,price,numformatjsonmethodtaobao.item.seller.get
  //   num_iid11223344sessiontestsign_methodhmac-sha256timestamp2016-01-01 12:00:00v2.0' |
  //   openssl dgst -sha256 -hmac helloworld   (one line)
  CHECK(sign_top(guide_params("hmac-sha256"), "helloworld", top_sign_method::hmac_sha256) ==
        "04DB15AD0774D5CFCE2C837DE43E3FCEA9011ED74F3038FB6AB5F3C4CEA119E8");
  //   printf '%s' '<the canonical string of the md5 test>' | openssl dgst -sha256 -hmac helloworld
  CHECK(sign_top(guide_params("md5"), "helloworld", top_sign_method::hmac_sha256) ==
        "6B7EB7E1C35D068D69538D80282A37DFBF29B4DB11B451881AF51890626138B3");
}

TEST_CASE("the TOP canonical string sorts names in byte order, ignores sign and leaves out empty values") {
  // Byte order: upper case before lower case, '_' (0x5F) before 'b' (0x62), a prefix first.
  const std::vector<sign_param> params{{"ab", "1"}, {"sign", "0123456789ABCDEF"}, {"a_b", "2"},
                                       {"B", "3"},  {"empty", ""},                 {"a", "4"}};
  CHECK(top_canonical_string(params) == "B3a4a_b2ab1");
  // An empty parameter changes nothing (TOP's SDKs neither send nor sign one).
  const std::vector<sign_param> without_empty{{"ab", "1"}, {"a_b", "2"}, {"B", "3"}, {"a", "4"}};
  CHECK(sign_top(params, "s", top_sign_method::md5) == sign_top(without_empty, "s", top_sign_method::md5));
}

TEST_CASE("the TOP signature does not depend on the order of the parameters") {
  auto forward = guide_params("md5");
  std::vector<sign_param> backward(forward.rbegin(), forward.rend());
  for (auto m : {top_sign_method::md5, top_sign_method::hmac, top_sign_method::hmac_sha256})
    CHECK(sign_top(forward, "helloworld", m) == sign_top(backward, "helloworld", m));
}

TEST_CASE("TOP sign methods have their wire names") {
  CHECK(to_string(top_sign_method::md5) == "md5");
  CHECK(to_string(top_sign_method::hmac) == "hmac");
  CHECK(to_string(top_sign_method::hmac_sha256) == "hmac-sha256");
  CHECK(parse_top_sign_method("hmac-sha256") == top_sign_method::hmac_sha256);
  CHECK(parse_top_sign_method("hmac") == top_sign_method::hmac);
  CHECK(parse_top_sign_method("md5") == top_sign_method::md5);
  CHECK_FALSE(parse_top_sign_method("MD5"));
  CHECK_FALSE(parse_top_sign_method("sha256"));
  CHECK_FALSE(parse_top_sign_method(""));
}
