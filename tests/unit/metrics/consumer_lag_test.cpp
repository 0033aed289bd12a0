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
      "toppars": {"herald.events-0": {"topic": "herald.events", "partition": 0, "consumer_lag_stored": 999,
                                      "ls_offset": 999}}
    }
  },
  "topics": {
    "herald.events": {
      "topic": "herald.events", "age": 5000, "metadata_age": 4000,
      "batchsize": {"min": 0, "max": 0, "avg": 0},
      "partitions": {
        "0": {"partition": 0, "broker": 1, "leader": 1, "desired": true, "consumer_lag": 12,
              "consumer_lag_stored": 10, "lo_offset": 3, "hi_offset": 111, "ls_offset": 110, "stored_offset": 100,
              "committed_offset": 98, "fetch_state": "active"},
        "1": {"partition": 1, "consumer_lag_stored": -1, "hi_offset": 5, "ls_offset": -1, "committed_offset": -1001},
        "2": {"partition": 2, "consumer_lag_stored": -1, "hi_offset": -1, "ls_offset": -1},
        "-1": {"partition": -1, "consumer_lag_stored": 0, "hi_offset": 0}
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

std::vector<partition_stats> rows_of(std::string_view json) {
  auto r = parse_partition_stats(json);
  REQUIRE_MESSAGE(r.has_value(), r.message());
  return *r;
}

partition_stats row(std::int64_t end, std::int64_t committed, std::int64_t stored_lag, std::int64_t start = -1) {
  return {"t", 0, end, start, committed, stored_lag};
}

}  // namespace

TEST_CASE("the topics' partitions give their end offset, committed offset and stored lag") {
  const std::vector<partition_stats> expected = {
      // ls_offset before hi_offset: a read_committed consumer reads up to the last stable offset.
      {"herald.events", 0, 110, 3, 98, 10},
      // No last stable offset yet: the high watermark. -1001 (no offset) is none.
      {"herald.events", 1, 5, -1, -1, -1},
      // Partition 2 says nothing, partition -1 is librdkafka's own: left out.
      {"herald.retry", 0, -1, -1, -1, 4294967296},
  };
  CHECK(rows_of(sample) == expected);
}

TEST_CASE("the lag: the end minus Herald's position, else the committed offset, else the start; else the stored lag") {
  struct case_row {
    partition_stats s;
    std::optional<std::int64_t> position;
    std::optional<std::int64_t> lag;
  };
  const case_row rows[] = {
      {row(110, 98, 10), 100, 10},
      {row(110, 98, 10), std::nullopt, 12},     // nothing settled here yet: from the committed offset
      {row(110, -1, -1), 110, 0},
      {row(110, -1, -1), 115, 0},               // the position passed the end the statistics saw
      {row(110, -1, -1), std::nullopt, std::nullopt},
      // Nothing committed ever: the consumer starts at the earliest record kept.
      {row(110, -1, -1, 100), std::nullopt, 10},
      {row(0, -1, -1, 0), std::nullopt, 0},
      {row(110, 105, -1, 100), std::nullopt, 5},
      {row(110, -1, -1, 100), 108, 2},
      {row(110, -1, 7), std::nullopt, 7},
      {row(-1, 98, 7), 100, 7},                 // no end offset: only librdkafka's stored lag
      {row(-1, 98, -1), 100, std::nullopt},
      {row(110, -1, -1), -1, std::nullopt},
  };
  for (const auto& r : rows) {
    CAPTURE(r.s.end_offset);
    CAPTURE(r.position.value_or(-99));
    CHECK(lag_of(r.s, r.position) == r.lag);
  }
}

TEST_CASE("statistics without topics, or with no partitions, give no rows") {
  CHECK(rows_of("{}").empty());
  CHECK(rows_of(R"({"topics": {}})").empty());
  CHECK(rows_of(R"({"topics": {"t": {"partitions": {}}}})").empty());
  CHECK(rows_of(R"({"topics": {"t": {}}})").empty());
  CHECK(rows_of("[]").empty());
  CHECK(rows_of("42").empty());
}

TEST_CASE("rows and fields that are not librdkafka's are skipped one by one") {
  struct case_row {
    const char* json;
    std::size_t rows;
  };
  const case_row rows[] = {
      {R"({"topics":{"t":{"partitions":{"0":{"ls_offset":5}}}}})", 1},
      // The value is not a non-negative integer.
      {R"({"topics":{"t":{"partitions":{"0":{"ls_offset":"5"}}}}})", 0},
      {R"({"topics":{"t":{"partitions":{"0":{"ls_offset":5.5}}}}})", 0},
      {R"({"topics":{"t":{"partitions":{"0":{"ls_offset":null}}}}})", 0},
      {R"({"topics":{"t":{"partitions":{"0":{"hi_offset":true}}}}})", 0},
      {R"({"topics":{"t":{"partitions":{"0":{"consumer_lag_stored":{"x":1}}}}}})", 0},
      {R"({"topics":{"t":{"partitions":{"0":{"consumer_lag_stored":[1]}}}}})", 0},
      {R"({"topics":{"t":{"partitions":{"0":{"hi_offset":18446744073709551615}}}}})", 0},
      {R"({"topics":{"t":{"partitions":{"0":{"consumer_lag_stored":-7}}}}})", 0},
      // Only a committed offset: no end to measure from.
      {R"({"topics":{"t":{"partitions":{"0":{"committed_offset":3}}}}})", 0},
      // The partition id is not a decimal int32.
      {R"({"topics":{"t":{"partitions":{"x":{"ls_offset":1}}}}})", 0},
      {R"({"topics":{"t":{"partitions":{"1x":{"ls_offset":1}}}}})", 0},
      {R"({"topics":{"t":{"partitions":{"":{"ls_offset":1}}}}})", 0},
      {R"({"topics":{"t":{"partitions":{"99999999999":{"ls_offset":1}}}}})", 0},
      {R"({"topics":{"t":{"partitions":{"-2":{"ls_offset":1}}}}})", 0},
      // The path is not the one wanted: not under topics, a partitions array, a field one level deeper.
      {R"({"brokers":{"t":{"partitions":{"0":{"ls_offset":1}}}}})", 0},
      {R"({"topics":{"t":{"partitions":[{"ls_offset":1}]}}})", 0},
      {R"({"topics":{"t":{"partitions":{"0":{"x":{"ls_offset":1}}}}}})", 0},
      {R"({"topics":{"t":{"ls_offset":1}}})", 0},
      {R"({"x":{"topics":{"t":{"partitions":{"0":{"ls_offset":1}}}}}})", 0},
      {R"([{"topics":{"t":{"partitions":{"0":{"ls_offset":1}}}}}])", 0},
      {R"({"topics":{"t":{"partitions":{"0":5}}}})", 0},
      // A bad row next to a good one: the good one stays.
      {R"({"topics":{"t":{"partitions":{"x":{"ls_offset":1},"3":{"ls_offset":2}}}}})", 1},
      // Objects and arrays inside a partition, before and after its fields, change nothing.
      {R"({"topics":{"t":{"partitions":{"0":{"a":{"ls_offset":9,"b":[1,{"c":2}]},"ls_offset":3,"z":[]}}}}})", 1},
  };
  for (const auto& r : rows) {
    CAPTURE(r.json);
    CHECK(rows_of(r.json).size() == r.rows);
  }
  // The nested object's ls_offset is not the partition's.
  CHECK(rows_of(rows[std::size(rows) - 1].json)[0].end_offset == 3);
}

TEST_CASE("a topic name with quotes or escapes is kept as its bytes (escaped later, when rendered)") {
  const auto rows = rows_of(R"({"topics":{"a\"b\nc":{"partitions":{"7":{"ls_offset":1}}}}})");
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
      "", " ", "{", "}", "{\"topics\":", "{\"topics\":{\"t\":{\"partitions\":{\"0\":{\"ls_offset\":1",
      "{\"a\":1}{\"b\":2}", "{'a':1}", "nul", "\xff\xfe", deep_open, deep_objects, nul_inside,
      "{\"topics\":{\"t\":{\"partitions\":{\"0\":{\"ls_offset\":1e999}}}}}",
  };
  for (const auto& c : cases) {
    CAPTURE(c.substr(0, 40));
    CHECK_FALSE(parse_partition_stats(c).has_value());
  }
}

TEST_CASE("a partial document yields no rows, even where its first rows were fine") {
  auto r = parse_partition_stats(R"({"topics":{"t":{"partitions":{"0":{"ls_offset":1}}}},)");
  CHECK_FALSE(r.has_value());
}

TEST_CASE("a deeply nested document that is valid JSON parses without recursion") {
  std::string s = R"({"topics":{"t":{"partitions":{"0":{"ls_offset":5,"deep":)";
  s += std::string(100000, '[') + std::string(100000, ']') + "}}}}}";
  const auto rows = rows_of(s);
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].end_offset == 5);
}
