// W3C traceparent/tracestate read from a record's headers (kafka/trace_context.hpp). The rows
// follow the spec's own test suite (w3c/trace-context test/test.py) where it has one.
#include "herald/kafka/trace_context.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using namespace herald::kafka;

namespace {

constexpr std::string_view tp = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

// What parse_traceparent makes of a value: the traceparent carried, or "invalid: <why>".
std::string parsed(std::string_view value) {
  std::array<char, traceparent_size> out{};
  auto why = parse_traceparent(value, out);
  if (!why.empty()) return "invalid: " + std::string(why);
  return std::string(out.data(), out.size());
}

}  // namespace

TEST_CASE("a valid version-00 traceparent is carried as it is") {
  CHECK(parsed(tp) == tp);
  CHECK(parsed("00-12345678901234567890123456789012-1234567890123456-00") ==
        "00-12345678901234567890123456789012-1234567890123456-00");
  // Flags other than sampled are the caller's (e.g. level 2's random bit): forwarded unchanged.
  CHECK(parsed("00-12345678901234567890123456789012-1234567890123456-03") ==
        "00-12345678901234567890123456789012-1234567890123456-03");
  // Optional whitespace around the value, as HTTP has it.
  CHECK(parsed(std::string(" \t") + std::string(tp) + "\t ") == tp);
}

TEST_CASE("an invalid traceparent is refused with the reason, row by row") {
  struct row {
    const char* value;
    const char* why;
  };
  const row rows[] = {
      {"", "version: not 2 lower-case hex digits and a dash"},
      {"   ", "version: not 2 lower-case hex digits and a dash"},
      {".0-12345678901234567890123456789012-1234567890123456-01", "version: not 2 lower-case hex digits and a dash"},
      {"0.-12345678901234567890123456789012-1234567890123456-01", "version: not 2 lower-case hex digits and a dash"},
      {"0A-12345678901234567890123456789012-1234567890123456-01", "version: not 2 lower-case hex digits and a dash"},
      {"000-12345678901234567890123456789012-1234567890123456-01", "version: not 2 lower-case hex digits and a dash"},
      {"0-12345678901234567890123456789012-1234567890123456-01", "version: not 2 lower-case hex digits and a dash"},
      {"ff-12345678901234567890123456789012-1234567890123456-01", "version: ff is invalid"},
      {"00-12345678901234567890123456789012-1234567890123456-01.", "version 00: longer than 55 characters"},
      {"00-12345678901234567890123456789012-1234567890123456-01-what-the-future-will-be-like",
       "version 00: longer than 55 characters"},
      {"00-00000000000000000000000000000000-1234567890123456-01", "trace-id: all zeros"},
      {"00-.2345678901234567890123456789012-1234567890123456-01", "trace-id: not 32 lower-case hex digits and a dash"},
      {"00-1234567890123456789012345678901.-1234567890123456-01", "trace-id: not 32 lower-case hex digits and a dash"},
      {"00-0AF7651916CD43DD8448EB211C80319C-b7ad6b7169203331-01", "trace-id: not 32 lower-case hex digits and a dash"},
      {"00-123456789012345678901234567890123-1234567890123456-01", "version 00: longer than 55 characters"},
      {"00-1234567890123456789012345678901-1234567890123456-01", "shorter than 55 characters"},
      {"00-12345678901234567890123456789012-0000000000000000-01", "parent-id: all zeros"},
      {"00-12345678901234567890123456789012-.234567890123456-01", "parent-id: not 16 lower-case hex digits and a dash"},
      {"00-12345678901234567890123456789012-123456789012345.-01", "parent-id: not 16 lower-case hex digits and a dash"},
      {"00-12345678901234567890123456789012-B7AD6B7169203331-01", "parent-id: not 16 lower-case hex digits and a dash"},
      {"00-12345678901234567890123456789012-12345678901234567-01", "version 00: longer than 55 characters"},
      {"00-12345678901234567890123456789012-123456789012345-01", "shorter than 55 characters"},
      {"00-12345678901234567890123456789012-1234567890123456-.0", "flags: not 2 lower-case hex digits"},
      {"00-12345678901234567890123456789012-1234567890123456-0.", "flags: not 2 lower-case hex digits"},
      {"00-12345678901234567890123456789012-1234567890123456-0F", "flags: not 2 lower-case hex digits"},
      {"00-12345678901234567890123456789012-1234567890123456-001", "version 00: longer than 55 characters"},
      {"00-12345678901234567890123456789012-1234567890123456-1", "shorter than 55 characters"},
      {"00_12345678901234567890123456789012-1234567890123456-01", "version: not 2 lower-case hex digits and a dash"},
      {"00-12345678901234567890123456789012_1234567890123456-01", "trace-id: not 32 lower-case hex digits and a dash"},
      {"00-12345678901234567890123456789012-1234567890123456_01", "parent-id: not 16 lower-case hex digits and a dash"},
      {"cc-12345678901234567890123456789012-1234567890123456-01.what-the-future-will-be-like",
       "flags: not followed by a dash"},
      {"cc-12345678901234567890123456789012-1234567890123456", "shorter than 55 characters"},
  };
  for (const auto& r : rows) {
    CAPTURE(r.value);
    CHECK(parsed(r.value) == std::string("invalid: ") + r.why);
  }
}

TEST_CASE("a higher version is carried as version 00 from its first four fields, with only the sampled flag") {
  CHECK(parsed("cc-12345678901234567890123456789012-1234567890123456-01") ==
        "00-12345678901234567890123456789012-1234567890123456-01");
  CHECK(parsed("cc-12345678901234567890123456789012-1234567890123456-01-what-the-future-will-be-like") ==
        "00-12345678901234567890123456789012-1234567890123456-01");
  CHECK(parsed("01-12345678901234567890123456789012-1234567890123456-fe-x") ==
        "00-12345678901234567890123456789012-1234567890123456-00");
  CHECK(parsed("fe-12345678901234567890123456789012-1234567890123456-0b") ==
        "00-12345678901234567890123456789012-1234567890123456-01");
}

TEST_CASE("the headers of a record: traceparent and tracestate taken by name, in any case") {
  trace_context t;
  SUBCASE("no headers, or none of ours: no trace context") {
    CHECK(t.read({}).empty());
    CHECK_FALSE(t.has_traceparent());
    const std::vector<header> others = {{"content-type", "application/json"}, {"trace-parent", tp}, {"trace.state", "a=1"}};
    CHECK(t.read(others).empty());
    CHECK_FALSE(t.has_traceparent());
    CHECK(t.traceparent().empty());
    CHECK(t.trace_id().empty());
  }
  SUBCASE("a traceparent alone") {
    const std::vector<header> hs = {{"x", "y"}, {"traceparent", tp}};
    CHECK(t.read(hs).empty());
    REQUIRE(t.has_traceparent());
    CHECK(t.traceparent() == tp);
    CHECK(t.trace_id() == "0af7651916cd43dd8448eb211c80319c");
    CHECK(t.tracestate().empty());
  }
  SUBCASE("names in any case") {
    for (const char* name : {"TraceParent", "TRACEPARENT", "TrAcEpArEnT"}) {
      const std::vector<header> hs = {{name, tp}, {"TraceState", "foo=1"}};
      CHECK(t.read(hs).empty());
      CHECK(t.traceparent() == tp);
      CHECK(t.tracestate() == "foo=1");
    }
  }
  SUBCASE("with a tracestate, verbatim") {
    const std::vector<header> hs = {{"tracestate", "rojo=00f067aa0ba902b7, congo=t61rcWkgMzE"}, {"traceparent", tp}};
    CHECK(t.read(hs).empty());
    CHECK(t.tracestate() == "rojo=00f067aa0ba902b7, congo=t61rcWkgMzE");
  }
  SUBCASE("several tracestate headers are joined in order, empty ones skipped") {
    const std::vector<header> hs = {{"traceparent", tp},    {"tracestate", "foo=1,bar=2"}, {"tracestate", ""},
                                    {"tracestate", " \t"}, {"tracestate", "rojo=1,congo=2"}, {"tracestate", "baz=3"}};
    CHECK(t.read(hs).empty());
    CHECK(t.tracestate() == "foo=1,bar=2,rojo=1,congo=2,baz=3");
  }
  SUBCASE("a tracestate of exactly 512 bytes is kept, one of 513 dropped (the traceparent stays)") {
    const std::string at_limit = "a=" + std::string(510, 'x');
    std::vector<header> hs = {{"traceparent", tp}, {"tracestate", at_limit}};
    CHECK(t.read(hs).empty());
    CHECK(t.tracestate() == at_limit);
    const std::string over = at_limit + "y";
    hs[1].value = over;
    CHECK(t.read(hs).empty());
    CHECK(t.has_traceparent());
    CHECK(t.tracestate().empty());
    // Joined over the bound: dropped whole.
    const std::string half = "b=" + std::string(300, 'z');
    const std::vector<header> two = {{"traceparent", tp}, {"tracestate", half}, {"tracestate", half}};
    CHECK(t.read(two).empty());
    CHECK(t.tracestate().empty());
  }
  SUBCASE("a tracestate without a (valid) traceparent is not taken") {
    const std::vector<header> alone = {{"tracestate", "foo=1"}};
    CHECK(t.read(alone).empty());
    CHECK_FALSE(t.has_traceparent());
    CHECK(t.tracestate().empty());
    const std::vector<header> bad = {{"traceparent", "00-zz"}, {"tracestate", "foo=1"}};
    CHECK(t.read(bad) == "shorter than 55 characters");
    CHECK_FALSE(t.has_traceparent());
    CHECK(t.tracestate().empty());
  }
  SUBCASE("a traceparent given twice is not taken, even when both are the same") {
    const std::vector<header> twice = {{"traceparent", tp}, {"TRACEPARENT", tp}};
    CHECK(t.read(twice) == "traceparent given more than once");
    CHECK_FALSE(t.has_traceparent());
  }
  SUBCASE("a null or empty traceparent value is invalid, not a crash") {
    const std::vector<header> hs = {{"traceparent", std::string_view()}};
    CHECK_FALSE(t.read(hs).empty());
    CHECK_FALSE(t.has_traceparent());
  }
  SUBCASE("reading the next record replaces what the last one held") {
    const std::vector<header> with = {{"traceparent", tp}, {"tracestate", "foo=1"}};
    CHECK(t.read(with).empty());
    CHECK(t.has_traceparent());
    CHECK(t.read({}).empty());
    CHECK_FALSE(t.has_traceparent());
    CHECK(t.tracestate().empty());
  }
}

TEST_CASE("the headers written on Herald's records for the event") {
  trace_context t;
  header out[2];
  CHECK(t.write_headers(out) == 0);
  const std::vector<header> only_parent = {{"traceparent", tp}};
  t.read(only_parent);
  REQUIRE(t.write_headers(out) == 1);
  CHECK(out[0].name == "traceparent");
  CHECK(out[0].value == tp);
  // Written in lower case whatever case they came in.
  const std::vector<header> both = {{"TRACEPARENT", "cc-12345678901234567890123456789012-1234567890123456-01-x"},
                                    {"TraceState", "congo=t61rcWkgMzE"}};
  t.read(both);
  REQUIRE(t.write_headers(out) == 2);
  CHECK(out[0].name == "traceparent");
  CHECK(out[0].value == "00-12345678901234567890123456789012-1234567890123456-01");
  CHECK(out[1].name == "tracestate");
  CHECK(out[1].value == "congo=t61rcWkgMzE");
  t.clear();
  CHECK(t.write_headers(out) == 0);
}

TEST_CASE("the bound of the trace headers covers the largest pair") {
  const std::string state(max_tracestate_bytes, 's');
  const header largest[2] = {{traceparent_header, tp}, {tracestate_header, state}};
  std::size_t bytes = 0;
  for (const auto& h : largest) bytes += h.name.size() + h.value.size() + 10;
  CHECK(bytes == max_trace_headers_bytes);
}
