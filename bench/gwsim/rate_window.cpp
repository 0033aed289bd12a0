#include "rate_window.hpp"

#include <algorithm>

namespace gwsim {
namespace {

// Drops the times that are no longer inside the window ending at `now_ms`.
void forget_before(std::deque<std::int64_t>& times, std::int64_t now_ms) {
  while (!times.empty() && times.front() <= now_ms - RateWindow::window_ms) times.pop_front();
}

}  // namespace

bool RateWindow::arrive(std::string_view account, std::int64_t now_ms, std::uint32_t limit) {
  auto it = accounts_.find(account);
  if (it == accounts_.end()) it = accounts_.emplace(std::string(account), Account{}).first;
  Account& a = it->second;
  if (!a.arrived.empty()) now_ms = std::max(now_ms, a.arrived.back());

  forget_before(a.arrived, now_ms);
  a.arrived.push_back(now_ms);
  max_ = std::max<std::uint64_t>(max_, a.arrived.size());

  forget_before(a.admitted, now_ms);
  if (limit != 0 && a.admitted.size() >= limit) return false;
  // Admitted calls are remembered even without a cap, so one set at run time counts the last
  // second's calls at once.
  a.admitted.push_back(now_ms);
  return true;
}

void RateWindow::reset() {
  accounts_.clear();
  max_ = 0;
}

}  // namespace gwsim
