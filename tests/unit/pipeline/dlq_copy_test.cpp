#include <doctest/doctest.h>

#include <string>

#include "herald/pipeline/dlq_copy.hpp"
#include "herald/util/crypto.hpp"

using namespace herald::pipeline;

namespace {

constexpr std::size_t mb = 1'000'000;

std::string sha256_hex(std::string_view bytes) {
  const auto d = herald::crypto::sha256(bytes);
  return herald::crypto::to_hex(std::string_view(reinterpret_cast<const char*>(d.data()), d.size()));
}

}  // namespace

TEST_CASE("headers count their names, values and length prefixes") {
  const herald::kafka::header hs[] = {{"herald.error", "bad"}, {"herald.source.offset", "42"}};
  CHECK(headers_bytes(hs) == (12 + 3 + 10) + (20 + 2 + 10));
  CHECK(headers_bytes({}) == 0);
}

TEST_CASE("a copy that fits is kept whole") {
  struct row {
    std::size_t key, value, headers, limit;
  };
  const row rows[] = {
      {5, 400, 120, mb},
      {0, 0, 0, mb},
      {5, mb - 512 - 120 - 5, 120, mb},  // exactly at the limit
      {mb - 512 - 100, 0, 100, mb},       // a large key alone, within the limit
  };
  for (const auto& r : rows) {
    CAPTURE(r.value);
    const auto cut = fit_dlq_copy(r.key, r.value, r.headers, r.limit);
    CHECK_FALSE(cut.is_cut());
    CHECK(cut.key_bytes == r.key);
    CHECK(cut.value_bytes == r.value);
  }
}

TEST_CASE("a value over the limit is cut so that key, value, headers and framing fit") {
  struct row {
    std::size_t key, value, headers, limit;
  };
  const row rows[] = {
      {5, mb - 512 - 120 - 4, 120, mb},  // one byte over
      {5, 1'010'000, 120, mb},           // the 1.01 MB event of issue 12
      {36, 5'000'000, 300, mb},
      {5, 1'010'000, 120, 2'000},        // a broker's small max.message.bytes
  };
  for (const auto& r : rows) {
    CAPTURE(r.value);
    CAPTURE(r.limit);
    const auto cut = fit_dlq_copy(r.key, r.value, r.headers, r.limit);
    CHECK(cut.is_value_cut);
    CHECK_FALSE(cut.is_key_cut);
    CHECK(cut.key_bytes == r.key);
    CHECK(cut.value_bytes < r.value);
    // The truncation headers at their largest still fit beside what is kept.
    const std::size_t worst_truncation_headers = 16 + 4 + 20 + 20 + 22 + 64 + 24 + 20 + 26 + 64 + 50;
    CHECK(cut.key_bytes + cut.value_bytes + r.headers + worst_truncation_headers + record_overhead_bytes <= r.limit);
    // ... and it keeps as much as that allows.
    CHECK(cut.key_bytes + cut.value_bytes + r.headers + worst_truncation_headers + record_overhead_bytes + 1 > r.limit);
  }
}

TEST_CASE("a key that takes more than half of the room is cut to half, the value gets the rest") {
  const auto cut = fit_dlq_copy(2 * mb, 10, 100, mb);
  CHECK(cut.is_key_cut);
  CHECK_FALSE(cut.is_value_cut);
  CHECK(cut.value_bytes == 10);
  CHECK(cut.key_bytes < mb / 2);
  const auto both = fit_dlq_copy(2 * mb, 2 * mb, 100, mb);
  CHECK(both.is_key_cut);
  CHECK(both.is_value_cut);
  CHECK(both.key_bytes + both.value_bytes + 100 + record_overhead_bytes < mb);
}

TEST_CASE("a limit smaller than the framing keeps nothing but still marks the copy as cut") {
  const auto cut = fit_dlq_copy(5, 100, 120, 300);
  CHECK(cut.is_cut());
  CHECK(cut.key_bytes == 0);
  CHECK(cut.value_bytes == 0);
}

TEST_CASE("the truncation headers give the whole original's size and SHA-256") {
  const std::string value(1'010'000, 'x');
  const std::string key = "evt-1";
  const auto cut = fit_dlq_copy(key.size(), value.size(), 120, mb);
  REQUIRE(cut.is_value_cut);
  const auto described = describe_truncation(key, value, cut);
  herald::kafka::header hs[5];
  const std::size_t n = append_truncation_headers(hs, described, cut);
  REQUIRE(n == 3);
  CHECK(hs[0].name == "herald.truncated");
  CHECK(hs[0].value == "true");
  CHECK(hs[1].name == "herald.original.size");
  CHECK(hs[1].value == "1010000");
  CHECK(hs[2].name == "herald.original.sha256");
  CHECK(hs[2].value == sha256_hex(value));
  CHECK(hs[2].value.size() == 64);
}

TEST_CASE("a cut key adds its own size and digest") {
  const std::string key(2 * mb, 'k');
  const std::string value = "{}";
  const auto cut = fit_dlq_copy(key.size(), value.size(), 120, mb);
  REQUIRE(cut.is_key_cut);
  const auto described = describe_truncation(key, value, cut);
  herald::kafka::header hs[5];
  const std::size_t n = append_truncation_headers(hs, described, cut);
  REQUIRE(n == 5);
  CHECK(hs[1].value == "2");
  CHECK(hs[2].value == sha256_hex(value));
  CHECK(hs[3].name == "herald.original.key.size");
  CHECK(hs[3].value == "2000000");
  CHECK(hs[4].name == "herald.original.key.sha256");
  CHECK(hs[4].value == sha256_hex(key));
}
