#include <doctest/doctest.h>

#include "herald/gateway/aliyun_sign.hpp"

using namespace herald::gateway;

// Expected values not from Alibaba Cloud's guide were computed outside Herald, with Python:
//   enc = lambda s: urllib.parse.quote(s, safe='~')
//   canonical = '&'.join(k + '=' + v for k, v in sorted((enc(k), enc(v)) for k, v in params))
//   to_sign = method + '&' + enc('/') + '&' + enc(canonical)
//   base64.b64encode(hmac.new((secret + '&').encode(), to_sign.encode(), hashlib.sha1).digest())

TEST_CASE("the Alibaba Cloud RPC signature matches the public vector of the signature guide") {
  // Alibaba Cloud signature guide (docs/gateways.md "Alibaba Cloud SMS", "Signature").
  const std::vector<sign_param> params{{"AccessKeyId", "testid"},
                                       {"Action", "DescribeRegions"},
                                       {"Format", "XML"},
                                       {"SignatureMethod", "HMAC-SHA1"},
                                       {"SignatureNonce", "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf"},
                                       {"SignatureVersion", "1.0"},
                                       {"Timestamp", "2016-02-23T12:46:24Z"},
                                       {"Version", "2014-05-26"}};
  CHECK(aliyun_canonical_query(params) ==
        "AccessKeyId=testid&Action=DescribeRegions&Format=XML&SignatureMethod=HMAC-SHA1"
        "&SignatureNonce=3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf&SignatureVersion=1.0"
        "&Timestamp=2016-02-23T12%3A46%3A24Z&Version=2014-05-26");
  CHECK(aliyun_string_to_sign("GET", params) ==
        "GET&%2F&AccessKeyId%3Dtestid%26Action%3DDescribeRegions%26Format%3DXML%26SignatureMethod%3DHMAC-SHA1"
        "%26SignatureNonce%3D3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf%26SignatureVersion%3D1.0"
        "%26Timestamp%3D2016-02-23T12%253A46%253A24Z%26Version%3D2014-05-26");
  CHECK(sign_aliyun_rpc("GET", params, "testsecret") == "OLeaidS1JvxuMvnyHOwuJ+uX5qY=");
}

TEST_CASE("the Alibaba Cloud signature encodes a Chinese SignName and a JSON TemplateParam byte by byte") {
  // python3 (see the top of this file) with method POST, secret test-secret-not-real and these
  // params → V1zx1gub5/ia6K/tPqljtw4n/xk=
  const std::vector<sign_param> params{{"Action", "SendSms"},
                                       {"Version", "2017-05-25"},
                                       {"Format", "JSON"},
                                       {"AccessKeyId", "test-key-id"},
                                       {"SignatureMethod", "HMAC-SHA1"},
                                       {"SignatureVersion", "1.0"},
                                       {"SignatureNonce", "nonce-0001"},
                                       {"Timestamp", "2023-11-14T22:13:20Z"},
                                       {"RegionId", "cn-hangzhou"},
                                       {"PhoneNumbers", "13800138000"},
                                       {"SignName", "阿里云短信测试"},
                                       {"TemplateCode", "SMS_154950909"},
                                       {"TemplateParam", R"({"code":"1234","name":"张三 & *~"})"},
                                       {"OutId", "evt-1001"},
                                       {"SmsUpExtendCode", "90999"}};
  const std::string canonical = aliyun_canonical_query(params);
  CHECK(canonical ==
        "AccessKeyId=test-key-id&Action=SendSms&Format=JSON&OutId=evt-1001&PhoneNumbers=13800138000"
        "&RegionId=cn-hangzhou&SignName=%E9%98%BF%E9%87%8C%E4%BA%91%E7%9F%AD%E4%BF%A1%E6%B5%8B%E8%AF%95"
        "&SignatureMethod=HMAC-SHA1&SignatureNonce=nonce-0001&SignatureVersion=1.0&SmsUpExtendCode=90999"
        "&TemplateCode=SMS_154950909"
        "&TemplateParam=%7B%22code%22%3A%221234%22%2C%22name%22%3A%22%E5%BC%A0%E4%B8%89%20%26%20%2A~%22%7D"
        "&Timestamp=2023-11-14T22%3A13%3A20Z&Version=2017-05-25");
  CHECK(aliyun_string_to_sign("POST", params) == aliyun_string_to_sign_for_query("POST", canonical));
  CHECK(aliyun_string_to_sign("POST", params).starts_with("POST&%2F&AccessKeyId%3Dtest-key-id%26Action%3DSendSms"));
  // The value's own escapes are escaped again in the string to sign: %E9 → %25E9, %20 → %2520.
  CHECK(aliyun_string_to_sign("POST", params).find("SignName%3D%25E9%2598%25BF") != std::string::npos);
  CHECK(aliyun_string_to_sign("POST", params).find("%2520%2526%2520%252A~") != std::string::npos);
  CHECK(sign_aliyun_rpc("POST", params, "test-secret-not-real") == "V1zx1gub5/ia6K/tPqljtw4n/xk=");
}

TEST_CASE("Alibaba Cloud percent-encoding keeps only unreserved characters, in upper-case hex") {
  CHECK(aliyun_percent_encode("a b") == "a%20b");
  CHECK(aliyun_percent_encode("*") == "%2A");
  CHECK(aliyun_percent_encode("~-_.") == "~-_.");
  CHECK(aliyun_percent_encode("+/=") == "%2B%2F%3D");
  CHECK(aliyun_percent_encode("短") == "%E7%9F%AD");
  CHECK(aliyun_percent_encode("\xff") == "%FF");
}

TEST_CASE("the Alibaba Cloud canonical query leaves out Signature and does not depend on the input order") {
  const std::vector<sign_param> forward{{"b", "2"}, {"a", "1"}, {"Signature", "x"}, {"A", "0"}};
  const std::vector<sign_param> backward{{"A", "0"}, {"a", "1"}, {"b", "2"}};
  CHECK(aliyun_canonical_query(forward) == "A=0&a=1&b=2");
  CHECK(sign_aliyun_rpc("POST", forward, "s") == sign_aliyun_rpc("POST", backward, "s"));
  CHECK(sign_aliyun_rpc("POST", forward, "s") != sign_aliyun_rpc("GET", forward, "s"));
  CHECK(sign_aliyun_rpc("POST", forward, "s").size() == 28);
}
