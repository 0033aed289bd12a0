// Per-account sliding one-second windows of send-call arrivals: the --rate-limit-qps cap and the
// max_calls_per_second statistic. Pure (the caller passes the time), so tests need no clock.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <string>
#include <string_view>

namespace gwsim {

class RateWindow {
 public:
  static constexpr std::int64_t window_ms = 1000;

  // A send call of `account` arrives at `now_ms` (a monotonic clock, milliseconds). The window of
  // an arrival at t is (t - 1000, t]. Returns false when the call is refused: `limit` > 0 and
  // `limit` calls of this account were admitted in its window. Admitted calls count against later
  // ones, refused ones do not (a client that keeps knocking is not locked out for longer); every
  // arrival, refused or not, counts in max_in_window(). A time earlier than the account's last
  // arrival is taken as that arrival's (the windows stay sorted).
  bool arrive(std::string_view account, std::int64_t now_ms, std::uint32_t limit);

  // The largest number of arrivals of one account within any window since the last reset().
  // Exact: a window holding k arrivals can slide right until it ends on one of them without
  // losing any, so checking the window that ends on each arrival finds the maximum.
  std::uint64_t max_in_window() const { return max_; }

  // Forgets every arrival: the cap's windows and the maximum.
  void reset();

 private:
  struct Account {
    std::deque<std::int64_t> admitted;  // admitted arrivals within the last window, oldest first
    std::deque<std::int64_t> arrived;   // every arrival within the last window, oldest first
  };

  std::map<std::string, Account, std::less<>> accounts_;
  std::uint64_t max_ = 0;
};

}  // namespace gwsim
