#pragma once
// The calls one account has waiting for its limits (concurrency, rate, Retry-After): batches of
// events to send and receipt checks. Plain data, no I/O: the worker's pump asks it what to start
// next and what has waited too long (docs/retries.md, "Holding a partition").
//
// Checks and sends take turns when both wait, so that thousands of receipt checks after a restart
// never starve the account's new sends, nor the other way round. Nothing waits longer than the
// hold bound: take_overdue hands back what has, for the retry topic.
#include <cstdint>
#include <deque>
#include <utility>
#include <vector>

namespace herald::pipeline {

template <class Item>
class call_queue {
 public:
  void push_batch(std::int64_t now_ms, std::vector<Item*> items) { batches_.emplace_back(now_ms, std::move(items)); }
  void push_check(std::int64_t now_ms, Item* item) { checks_.emplace_back(now_ms, item); }
  bool empty() const { return batches_.empty() && checks_.empty(); }
  std::size_t batches() const { return batches_.size(); }
  std::size_t checks() const { return checks_.size(); }

  // What waited longer than bound_ms by now_ms, oldest first: batches and checks.
  struct overdue {
    std::vector<std::vector<Item*>> batches;
    std::vector<Item*> checks;
    bool empty() const { return batches.empty() && checks.empty(); }
  };
  overdue take_overdue(std::int64_t now_ms, std::int64_t bound_ms) {
    overdue out;
    while (!batches_.empty() && now_ms - batches_.front().first > bound_ms) {
      out.batches.push_back(std::move(batches_.front().second));
      batches_.pop_front();
    }
    while (!checks_.empty() && now_ms - checks_.front().first > bound_ms) {
      out.checks.push_back(checks_.front().second);
      checks_.pop_front();
    }
    return out;
  }

  // The next call to start (one call slot is free): a check or a batch, taking turns while both
  // wait. Empty queue: both empty.
  struct next_call {
    Item* check = nullptr;
    std::vector<Item*> batch;
  };
  next_call take_next() {
    next_call out;
    const bool is_check = !checks_.empty() && (batches_.empty() || is_checks_turn_);
    is_checks_turn_ = !is_check;
    if (is_check) {
      out.check = checks_.front().second;
      checks_.pop_front();
    } else if (!batches_.empty()) {
      out.batch = std::move(batches_.front().second);
      batches_.pop_front();
    }
    return out;
  }

 private:
  std::deque<std::pair<std::int64_t, std::vector<Item*>>> batches_;
  std::deque<std::pair<std::int64_t, Item*>> checks_;
  bool is_checks_turn_ = false;
};

}  // namespace herald::pipeline
