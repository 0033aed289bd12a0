#include <doctest/doctest.h>

#include <string>

#include "herald/metrics/consumer_lag.hpp"

using namespace herald::metrics;

namespace {

// The shape of librdkafka 2.0's statistics (STATISTICS.md), cut down: brokers hold their own
// "toppars" with partitions too, which are not the topics' partitions and must not be read.
const char* const sample = R"({
  "name": "rdkafka#consumer-1", "type": "consumer", "ts": 5017286120, "time": 1718098200,
  "brokers": {
    "127.0.0.1:19092/1": {
      "name": "127.0.0.1:19092/1", "nodeid": 1, "rtt": {"min": 100, "max": 900, "p99": 800},
      "toppars": {"herald.events-0": {"topic": "herald.events", "partition": 0, "consumer_lag_stored": 999}}
    }
  },
  "topics": {
    "herald.events": {
      "topic": "herald.events", "age": 5000, "metadata_age": 4000,
      "batchsize": {"min": 0, "max": 0, "avg": 0},
      "partitions": {
        "0": {"partition": 0, "broker": 1, "leader": 1, "desired": true, "consumer_lag": 12,
              "consumer_lag_stored": 10, "hi_offset": 110, "stored_offset": 100,
              "committed_offset": 98, "fetch_state": "active"},
        "1": {"partition": 1, "consumer_lag_stored": 0, "hi_offset": 5},
        "2": {"partition": 2, "consumer_lag_stored": -1},
        "-1": {"partition": -1, "consumer_lag_stored": 0}
      }
    },
    "herald.retry": {
      "topic": "herald.retry",
      "partitions": {
        "0": {"partition": 0, "consumer_lag_stored": 4294967296, "msgq_cnt": 0},
        "-1": {"partition": -1, "consumer_lag_stored": -1}
      }
    }
  },
  "cgrp": {"state": "up", "rebalance_cnt": 1, "assignment_size": 3}
})";

std::vector<partition_lag> rows_of(std::string_view json) {
  auto r = parse_consumer_lag(json);
  REQUIRE_MESSAGE(r.has_value(), r.message());
  return *r;
}

}  // namespace

TEST_CASE("the topics' partitions give their stored lag; -1 partitions and -1 lags are left out") {
  const std::vector<partition_lag> expected = {
      {"herald.events", 0, 10},
      {"herald.events", 1, 0},
      {"herald.retry", 0, 4294967296},
  };
  CHECK(rows_of(sample) == expected);
}

TEST_CASE("statistics without topics, or with no partitions, give no rows") {
  CHECK(rows_of("{}").empty());
  CHECK(rows_of(R"({"topics": {}})").empty());
  CHECK(rows_of(R"({"topics": {"t": {"partitions": {}}}})").empty());
  CHECK(rows_of(R"({"topics": {"t": {}}})").empty());
  CHECK(rows_of("[]").empty());
  CHECK(rows_of("42").empty());
}

TEST_CASE("rows that are not librdkafka's are skipped one by one") {
  struct row {
    const char* json;
    std::size_t rows;
  };
  const row rows[] = {
      // The lag is not an integer.
      {R"({"topics":{"t":{"partitions":{"0":{"consumer_lag_stored":"5"}}}}})", 0},
      {R"({"topics":{"t":{"partitions":{"0":{"consumer_lag_stored":5.5}}}}})", 0},
      {R"({"topics":{"t":{"partitions":{"0":{"consumer_lag_stored":null}}}}})", 0},
      {R"({"topics":{"t":{"partitions":{"0":{"consumer_lag_stored":true}}}}})", 0},
      {R"({"topics":{"t":{"partitions":{"0":{"consumer_lag_stored":{"x":1}}}}}})", 0},
      {R"({"topics":{"t":{"partitions":{"0":{"consumer_lag_stored":[1]}}}}})", 0},
      {R"({"topics":{"t":{"partitions":{"0":{"consumer_lag_stored":18446744073709551615}}}}})", 0},
      {R"({"topics":{"t":{"partitions":{"0":{"consumer_lag_stored":-7}}}}})", 0},
      // The partition id is not a decimal int32.
      {R"({"topics":{"t":{"partitions":{"x":{"consumer_lag_stored":1}}}}})", 0},
      {R"({"topics":{"t":{"partitions":{"1x":{"consumer_lag_stored":1}}}}})", 0},
      {R"({"topics":{"t":{"partitions":{"":{"consumer_lag_stored":1}}}}})", 0},
      {R"({"topics":{"t":{"partitions":{"99999999999":{"consumer_lag_stored":1}}}}})", 0},
      {R"({"topics":{"t":{"partitions":{"-2":{"consumer_lag_stored":1}}}}})", 0},
      // The path is not the one wanted: not under topics, a partitions array, a lag one level deeper.
      {R"({"brokers":{"t":{"partitions":{"0":{"consumer_lag_stored":1}}}}})", 0},
      {R"({"topics":{"t":{"partitions":[{"consumer_lag_stored":1}]}}})", 0},
      {R"({"topics":{"t":{"partitions":{"0":{"x":{"consumer_lag_stored":1}}}}}})", 0},
      {R"({"topics":{"t":{"consumer_lag_stored":1}}})", 0},
      {R"({"x":{"topics":{"t":{"partitions":{"0":{"consumer_lag_stored":1}}}}}})", 0},
      {R"([{"topics":{"t":{"partitions":{"0":{"consumer_lag_stored":1}}}}}])", 0},
      // A bad row next to a good one: the good one stays.
      {R"({"topics":{"t":{"partitions":{"x":{"consumer_lag_stored":1},"3":{"consumer_lag_stored":2}}}}})", 1},
      // Objects and arrays inside a partition, before its lag, change nothing.
      {R"({"topics":{"t":{"partitions":{"0":{"a":{"b":[1,{"c":2}]},"consumer_lag_stored":3,"z":[]}}}}})", 1},
  };
  for (const auto& r : rows) {
    CAPTURE(r.json);
    CHECK(rows_of(r.json).size() == r.rows);
  }
}

TEST_CASE("a topic name with quotes or escapes is kept as its bytes (escaped later, when rendered)") {
  const auto rows = rows_of(R"({"topics":{"a\"b\nc":{"partitions":{"7":{"consumer_lag_stored":1}}}}})");
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].topic == "a\"b\nc");
  CHECK(rows[0].partition == 7);
}

TEST_CASE("text that is not JSON is an error, never a crash") {
  const std::string deep_open(200000, '[');
  const std::string deep_objects = [] {
    std::string s;
    for (int i = 0; i < 100000; ++i) s += "{\"topics\":";
    return s;
  }();
  const std::string nul_inside = std::string(R"({"topics":{"t")") + '\0' + "}}";
  const std::string cases[] = {
      "", " ", "{", "}", "{\"topics\":", "{\"topics\":{\"t\":{\"partitions\":{\"0\":{\"consumer_lag_stored\":1",
      "{\"a\":1}{\"b\":2}", "{'a':1}", "nul", "\xff\xfe", deep_open, deep_objects, nul_inside,
      "{\"topics\":{\"t\":{\"partitions\":{\"0\":{\"consumer_lag_stored\":1e999}}}}}",
  };
  for (const auto& c : cases) {
    CAPTURE(c.substr(0, 40));
    CHECK_FALSE(parse_consumer_lag(c).has_value());
  }
}

TEST_CASE("a partial document yields no rows, even where its first rows were fine") {
  auto r = parse_consumer_lag(R"({"topics":{"t":{"partitions":{"0":{"consumer_lag_stored":1}}}},)");
  CHECK_FALSE(r.has_value());
}

TEST_CASE("a deeply nested document that is valid JSON parses without recursion") {
  std::string s = R"({"topics":{"t":{"partitions":{"0":{"consumer_lag_stored":5,"deep":)";
  s += std::string(100000, '[') + std::string(100000, ']') + "}}}}}";
  const auto rows = rows_of(s);
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].lag == 5);
}
