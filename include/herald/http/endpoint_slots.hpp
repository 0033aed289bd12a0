#pragma once
// The bookkeeping of one endpoint's keep-alive pool, without sockets or clocks (the time is passed
// in): how many connections are open, which are idle and since when, who waits for one and in what
// order. The client wraps it with the I/O; the unit tests drive it with plain values.
//
// Rules:
// - at most max_open connections are open or being opened at once;
// - an idle connection is reused last-in first-out (the warmest one), so that a surplus after a
//   burst stays idle and expires;
// - when none is idle and max_open are open, callers wait first-in first-out; a connection given
//   back, or the slot of one that closed, goes straight to the longest waiter (no barging);
// - an idle connection older than idle_timeout is handed back to the caller to close.
#include <algorithm>
#include <chrono>
#include <cstddef>
#include <deque>
#include <optional>
#include <utility>
#include <vector>

namespace herald::http {

template <class Connection, class Waiter>
class endpoint_slots {
 public:
  using clock = std::chrono::steady_clock;

  enum class verdict {
    reuse,     // take `connection` (it is counted as open; check it is still alive)
    open_new,  // a slot is reserved: open a new connection
    wait,      // all slots busy: call wait() and wait for a hand_over
  };
  struct acquisition {
    verdict what = verdict::wait;
    std::optional<Connection> connection;
  };
  // Given to a waiter: a connection to reuse, or (when empty) a reserved slot to open one in.
  struct hand_over {
    Waiter waiter;
    std::optional<Connection> connection;
  };

  endpoint_slots(std::size_t max_open, clock::duration idle_timeout)
      : max_open_(std::max<std::size_t>(max_open, 1)), idle_timeout_(idle_timeout) {}

  // Idle connections found expired are moved into `expired`; the caller closes them.
  acquisition acquire(clock::time_point now, std::vector<Connection>& expired) {
    take_expired(now, expired);
    if (!idle_.empty()) {
      acquisition a{verdict::reuse, std::move(idle_.back().connection)};
      idle_.pop_back();
      return a;
    }
    if (open_ < max_open_) {
      ++open_;
      return {verdict::open_new, std::nullopt};
    }
    return {verdict::wait, std::nullopt};
  }

  // After acquire() said wait.
  void wait(Waiter w) { waiters_.push_back(std::move(w)); }

  // A waiter that gives up (its deadline passed). False when it is no longer waiting, i.e. it
  // has been handed something and must use or release it.
  bool cancel(const Waiter& w) {
    const auto it = std::find(waiters_.begin(), waiters_.end(), w);
    if (it == waiters_.end()) return false;
    waiters_.erase(it);
    return true;
  }

  // A connection whose state is known good, given back after a complete exchange.
  std::optional<hand_over> give_back(Connection c, clock::time_point now) {
    if (!waiters_.empty()) return next_waiter(std::optional<Connection>(std::move(c)));
    idle_.push_back(idle_entry{std::move(c), now});
    return std::nullopt;
  }

  // A connection (or a reserved slot) that was closed or never opened: its slot is free again.
  std::optional<hand_over> drop() {
    if (!waiters_.empty()) return next_waiter(std::nullopt);  // the slot passes on, open_ unchanged
    if (open_ > 0) --open_;
    return std::nullopt;
  }

  // Idle connections idle for idle_timeout or longer, removed from the pool for the caller to
  // close (their slots are freed).
  void take_expired(clock::time_point now, std::vector<Connection>& out) {
    while (!idle_.empty() && now - idle_.front().since >= idle_timeout_) {
      out.push_back(std::move(idle_.front().connection));
      idle_.pop_front();
      --open_;
    }
  }

  // All idle connections (to close them all); their slots are freed.
  void take_idle(std::vector<Connection>& out) {
    for (auto& entry : idle_) out.push_back(std::move(entry.connection));
    open_ -= idle_.size();
    idle_.clear();
  }

  // When the oldest idle connection expires, if any.
  std::optional<clock::time_point> next_expiry() const {
    if (idle_.empty()) return std::nullopt;
    return idle_.front().since + idle_timeout_;
  }

  std::size_t open() const noexcept { return open_; }
  std::size_t idle() const noexcept { return idle_.size(); }
  std::size_t waiting() const noexcept { return waiters_.size(); }
  std::size_t max_open() const noexcept { return max_open_; }

 private:
  struct idle_entry {
    Connection connection;
    clock::time_point since;
  };

  hand_over next_waiter(std::optional<Connection> c) {
    hand_over h{std::move(waiters_.front()), std::move(c)};
    waiters_.pop_front();
    return h;
  }

  std::size_t max_open_;
  clock::duration idle_timeout_;
  std::size_t open_ = 0;           // idle + in use + being opened
  std::deque<idle_entry> idle_;    // oldest at the front, reused from the back
  std::deque<Waiter> waiters_;     // first come, first served
};

}  // namespace herald::http
