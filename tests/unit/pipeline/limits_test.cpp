// The pure limits of the pipeline (include/herald/pipeline/limits.hpp), row by row.
#include <doctest/doctest.h>

#include <string>

#include "herald/pipeline/limits.hpp"

using namespace herald::pipeline;

TEST_CASE("an event is too large when value and key together exceed max_event_bytes") {
  CHECK_FALSE(is_event_too_large(65536, 0, 65536));
  CHECK_FALSE(is_event_too_large(65530, 6, 65536));
  CHECK(is_event_too_large(65531, 6, 65536));
  CHECK(is_event_too_large(65537, 0, 65536));
  CHECK(is_event_too_large(0, 65537, 65536));
  CHECK(event_too_large_reason(70000, 12, 65536) ==
        "event too large: 70012 bytes (value 70000, key 12), at most 65536 (kafka.max_event_bytes)");
}

TEST_CASE("the window is full at either bound, reopens below 7/8 of both, drains below 3/4 of both") {
  const window_limits l{800, 8000};
  struct row {
    window_use use;
    bool full, reopened, drained;
  };
  const row rows[] = {
      {{0, 0}, false, true, true},
      {{599, 5999}, false, true, true},
      {{600, 10}, false, true, false},     // events at 3/4
      {{10, 6000}, false, true, false},    // bytes at 3/4
      {{699, 6999}, false, true, false},
      {{700, 10}, false, false, false},    // events at 7/8
      {{10, 7000}, false, false, false},   // bytes at 7/8
      {{799, 7999}, false, false, false},
      {{800, 0}, true, false, false},      // events at the bound
      {{0, 8000}, true, false, false},     // bytes at the bound: 2,000 large events, not 20,000
      {{900, 9000}, true, false, false},
  };
  for (const auto& r : rows) {
    CAPTURE(r.use.events);
    CAPTURE(r.use.bytes);
    CHECK(is_window_full(r.use, l) == r.full);
    CHECK(is_window_reopened(r.use, l) == r.reopened);
    CHECK(is_window_drained(r.use, l) == r.drained);
  }
}

TEST_CASE("a recycled buffer is kept up to 16 KiB and given back above") {
  CHECK_FALSE(should_release_buffer(0));
  CHECK_FALSE(should_release_buffer(512));
  CHECK_FALSE(should_release_buffer(16 * 1024));
  CHECK(should_release_buffer(16 * 1024 + 1));
  CHECK(should_release_buffer(100 * 1000));

  std::string small(300, 'x');
  const auto small_capacity = small.capacity();
  clear_buffer(small);
  CHECK(small.empty());
  CHECK(small.capacity() == small_capacity);  // a normal event's buffer is reused as it is

  std::string large(100 * 1000, 'x');
  clear_buffer(large);
  CHECK(large.empty());
  CHECK(large.capacity() <= 16 * 1024);  // given back (to the small-string buffer)
}

TEST_CASE("the drain meter counts completions of the current and the last second") {
  drain_meter m;
  const std::int64_t t0 = 1'000'000;
  CHECK(m.recent(t0) == 0);
  for (int i = 0; i < 30; ++i) m.add(t0 + i);
  CHECK(m.recent(t0 + 100) == 30);
  // The next second: the last one's count still stands until this one passes it.
  for (int i = 0; i < 10; ++i) m.add(t0 + 1100 + i);
  CHECK(m.recent(t0 + 1200) == 30);
  for (int i = 0; i < 25; ++i) m.add(t0 + 1300 + i);
  CHECK(m.recent(t0 + 1400) == 35);
  // A second without completions: only the one before counts; two of them: nothing.
  CHECK(m.recent(t0 + 2100) == 35);
  CHECK(m.recent(t0 + 3100) == 0);
  CHECK(m.recent(t0 + 10'000) == 0);
}

TEST_CASE("an account's share: admit, wait for the meter, or defer") {
  struct row {
    const char* what;
    account_load load;
    share_verdict verdict;
  };
  // account_load: in_flight, share, busy_for_ms, finished_recently, is_held
  const row rows[] = {
      {"below its share", {99, 100, 0, 0, false}, share_verdict::admit},
      {"below its share, held", {99, 100, 0, 0, true}, share_verdict::admit},
      {"at its share, held by a Retry-After", {100, 100, 5000, 10000, true}, share_verdict::defer},
      {"at its share, draining fast (a backlog)", {100, 100, 5000, 20, false}, share_verdict::admit},
      {"above its share, draining within 5 s", {500, 100, 5000, 100, false}, share_verdict::admit},
      {"above its share, 5 s and a bit to drain", {501, 100, 5000, 100, false}, share_verdict::defer},
      {"at its share, finishing nothing, just arrived", {100, 100, 0, 0, false}, share_verdict::admit_and_wait},
      {"at its share, finishing nothing, a window later", {100, 100, 1000, 0, false}, share_verdict::defer},
      {"at its share, slow, within its first window", {100, 100, 999, 5, false}, share_verdict::admit_and_wait},
      {"at its share, slow, past its first window", {100, 100, 1500, 5, false}, share_verdict::defer},
      {"just under an eighth over, within its first window (a slice)", {111, 100, 10, 0, false}, share_verdict::admit_and_wait},
      {"an eighth over, within its first window", {112, 100, 10, 0, false}, share_verdict::defer},
      {"share 1: one over within its first window", {1, 1, 10, 0, false}, share_verdict::admit_and_wait},
      {"share 1: two over within its first window", {2, 1, 10, 0, false}, share_verdict::defer},
  };
  for (const auto& r : rows) {
    const std::string what = r.what;
    CAPTURE(what);
    CHECK(decide_share(r.load) == r.verdict);
  }
}

TEST_CASE("a deferred event waits for the account's hold or its drain time, within 1 s and the cap") {
  const account_load stuck{100, 100, 5000, 0, false};
  CHECK(account_busy_delay_ms(stuck, 0, 60000) == 60000);         // finishing nothing: the cap
  CHECK(account_busy_delay_ms(stuck, 0, 20000) == 20000);
  const account_load slow{100, 100, 5000, 10, false};             // 10 a second: 10 s to drain
  CHECK(account_busy_delay_ms(slow, 0, 60000) == 10000);
  const account_load held{100, 100, 5000, 10, true};
  CHECK(account_busy_delay_ms(held, 30000, 60000) == 30000);      // held: until the hold ends
  CHECK(account_busy_delay_ms(held, 200, 60000) == 1000);
  CHECK(account_busy_delay_ms(slow, 0, 5000) == 5000);            // never past the cap
  const account_load quick{100, 100, 5000, 1000, false};          // 0.1 s to drain
  CHECK(account_busy_delay_ms(quick, 0, 60000) == 1000);          // at least a second
  CHECK(account_busy_delay_ms(quick, 0, 10) == 1000);             // even under a tiny cap
  const account_load fresh{113, 100, 10, 0, false};               // nothing measured yet: back soon
  CHECK(account_busy_delay_ms(fresh, 0, 60000) == 1000);
  const account_load fresh_held{113, 100, 10, 0, true};           // but a hold is known
  CHECK(account_busy_delay_ms(fresh_held, 20000, 60000) == 20000);
}
