// choose_replay and parse_replay_position (herald replay-dlq), row by row.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "herald/pipeline/dlq_replay.hpp"

using namespace herald::pipeline;
using herald::kafka::header;

namespace {

const std::vector<std::string> events_topics{"herald.events", "herald.events.eu"};

std::vector<header> copy_headers(std::string_view cls, std::string_view topic = "herald.events") {
  std::vector<header> h{{"herald.error", "account: missing"},
                        {"herald.source.topic", topic},
                        {"herald.source.partition", "2"},
                        {"herald.source.offset", "41"}};
  if (!cls.empty()) h.push_back({"herald.class", cls});
  return h;
}

}  // namespace

TEST_CASE("a whole copy naming an events topic is replayed there") {
  auto h = copy_headers("invalid", "herald.events.eu");
  auto c = choose_replay(h, false, events_topics, {});
  CHECK(c.is_replayed);
  CHECK(c.topic == "herald.events.eu");
  CHECK(c.reason_class == "invalid");
  CHECK(c.skip_reason.empty());
}

TEST_CASE("what is not replayed, and why") {
  struct row {
    const char* name;
    std::vector<header> headers;
    bool is_value_null;
    std::vector<std::string> classes;
    const char* says;
  };
  auto cut = copy_headers("invalid");
  cut.push_back({"herald.truncated", "true"});
  const row rows[] = {
      {"no source header", {{"herald.error", "x"}}, false, {}, "not a Herald DLQ copy"},
      {"another class", copy_headers("throttled"), false, {"invalid"}, "reason class throttled not selected"},
      {"no class, a class asked for", copy_headers(""), false, {"invalid"}, "no reason class"},
      {"null value", copy_headers("invalid"), true, {}, "null value"},
      {"cut copy", cut, false, {}, "cut to fit"},
      {"a retry topic as source", copy_headers("invalid", "herald.retry"), false, {}, "\"herald.retry\" is not one of kafka.topics"},
  };
  for (const auto& r : rows) {
    INFO(r.name);
    auto c = choose_replay(r.headers, r.is_value_null, events_topics, r.classes);
    CHECK_FALSE(c.is_replayed);
    CHECK(c.skip_reason.find(r.says) != std::string::npos);
  }
}

TEST_CASE("--reason-class selects any of the classes given") {
  const std::vector<std::string> classes{"not_sent", "throttled"};
  CHECK(choose_replay(copy_headers("not_sent"), false, events_topics, classes).is_replayed);
  CHECK(choose_replay(copy_headers("throttled"), false, events_topics, classes).is_replayed);
  CHECK_FALSE(choose_replay(copy_headers("invalid"), false, events_topics, classes).is_replayed);
  // Without --reason-class a copy without a class is replayed too.
  CHECK(choose_replay(copy_headers(""), false, events_topics, {}).is_replayed);
}

TEST_CASE("herald.* headers are the copy's bookkeeping, the others are carried over") {
  CHECK(is_dlq_bookkeeping_header("herald.error"));
  CHECK(is_dlq_bookkeeping_header("herald.original.sha256"));
  CHECK_FALSE(is_dlq_bookkeeping_header("traceparent"));
  CHECK_FALSE(is_dlq_bookkeeping_header("heraldish"));
}

TEST_CASE("replay positions: beginning, end, offsets, epoch milliseconds and ISO-8601 times") {
  using kind = replay_position::kind;
  struct row {
    const char* text;
    kind k;
    std::int64_t value;
  };
  const row rows[] = {
      {"beginning", kind::beginning, 0},
      {"end", kind::end, 0},
      {"0", kind::offset, 0},
      {"42", kind::offset, 42},
      {"999999999999", kind::offset, 999999999999},
      {"1000000000000", kind::time, 1000000000000},
      {"1718098200000", kind::time, 1718098200000},
      {"2024-06-11T17:30:00+08:00", kind::time, 1718098200000},
  };
  for (const auto& r : rows) {
    INFO(r.text);
    auto p = parse_replay_position(r.text);
    REQUIRE_MESSAGE(p.has_value(), (p ? std::string() : p.message()));
    CHECK(p->k == r.k);
    CHECK(p->value == r.value);
  }
  for (const char* bad : {"", "-1", "+5", "12abc", "yesterday", "99999999999999999999", "2024-06-11T09:30:00"}) {
    INFO(bad);
    auto p = parse_replay_position(bad);
    REQUIRE_FALSE(p.has_value());
    CHECK(p.message().find(std::string("\"") + bad + "\"") != std::string::npos);
  }
}
