#include <doctest/doctest.h>

#include "herald/config/load.hpp"

namespace {
const std::string base = R"({"accounts": {"a": {"gateway": "fw199_taobao", "endpoint": "https://gw.example/x",
      "app_id": "i", "app_secret": "s", "seller_nick": "n"}})";

herald::config::rate_limit_config rate_limit_of(const std::string& section) {
  return herald::config::parse_config(base + ", \"rate_limit\": " + section + "}").rate_limit;
}
}  // namespace

TEST_CASE("rate_limit: shared across pods by default, with a fallback floor of one pod") {
  const auto c = herald::config::parse_config(base + "}").rate_limit;
  CHECK(c.shared);
  CHECK(c.fallback_pods == 1);
  CHECK(rate_limit_of("{}").shared);
}

TEST_CASE("rate_limit: shared and fallback_pods are read") {
  struct row {
    const char* section;
    bool shared;
    std::uint32_t fallback_pods;
  };
  const row rows[] = {
      {R"({"shared": true})", true, 1},
      {R"({"shared": false})", false, 1},
      {R"({"fallback_pods": 12})", true, 12},
      {R"({"shared": true, "fallback_pods": 1000})", true, 1000},
  };
  for (const auto& r : rows) {
    CAPTURE(r.section);
    const auto c = rate_limit_of(r.section);
    CHECK(c.shared == r.shared);
    CHECK(c.fallback_pods == r.fallback_pods);
  }
}

TEST_CASE("rate_limit: nonsense is refused, naming the option") {
  struct row {
    const char* section;
    const char* error;
  };
  const row rows[] = {
      {R"({"fallback_pods": 0})", "rate_limit.fallback_pods: must be an integer from 1 to 1000 (got 0)"},
      {R"({"fallback_pods": 1001})", "rate_limit.fallback_pods: must be an integer from 1 to 1000 (got 1001)"},
      {R"({"fallback_pods": 2.5})", "rate_limit.fallback_pods: must be an integer from 1 to 1000 (got 2.5)"},
      {R"({"shared": "yes"})", "rate_limit.shared"},
      {R"({"shared": false, "fallback_pods": 3})", "rate_limit.fallback_pods: only applies with \"shared\": true"},
      {R"({"share": true})", "rate_limit.share: unknown key"},
      {R"(true)", "rate_limit"},
  };
  for (const auto& r : rows) {
    CAPTURE(r.section);
    CHECK_THROWS_WITH_AS(rate_limit_of(r.section), doctest::Contains(r.error), herald::config::config_error);
  }
}

TEST_CASE("rate_limit in the redacted config, which loads again as the same") {
  for (const char* section : {R"({"shared": true, "fallback_pods": 6})", R"({"shared": false})"}) {
    CAPTURE(section);
    const auto cfg = herald::config::parse_config(base + ", \"rate_limit\": " + section + "}");
    const auto text = herald::config::to_redacted_json(cfg);
    CHECK(text.find("\"rate_limit\"") != std::string::npos);
    const auto again = herald::config::parse_config(text).rate_limit;
    CHECK(again.shared == cfg.rate_limit.shared);
    CHECK(again.fallback_pods == cfg.rate_limit.fallback_pods);
  }
}
