#pragma once
// Groups items into gateway calls: one open batch per route (account + whatever the gateway needs
// equal within a call), flushed when it reaches the route's maximum or its linger time. Pure: the
// time is passed in, the caller owns the timer.
//
// A route exists only while it has an open batch: a gateway like aliyun_card makes nearly one
// route per event, and keeping every route ever seen made each linger tick a scan over all of
// them (327 ms of CPU after 250k routes). Due times come from a min-heap with lazy deletion: a
// batch taken because it filled leaves its heap entry behind, recognised as stale by its id.
#include <boost/unordered/unordered_flat_map.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace herald::batch {

template <class Item>
struct batch {
  std::string route;
  std::vector<Item*> items;
};

template <class Item>
class batcher {
 public:
  explicit batcher(std::int64_t linger_ms) : linger_ms_(linger_ms) {}

  // Adds an item; returns the route's batch when this item filled it. The route is copied only
  // when it opens a batch (into a slot whose buffer is reused), never for an item joining one.
  std::optional<batch<Item>> add(std::string_view route, std::size_t max_items, Item* item, std::int64_t now_ms) {
    auto pos = open_.find(route);
    if (pos == open_.end()) {
      // Full with its first item: no batch is opened, so nothing is left to clean up.
      if (max_items <= 1) return batch<Item>{std::string(route), std::vector<Item*>{item}};
      pos = open(route, max_items, now_ms);
    }
    const std::uint32_t index = pos->second;
    slot& s = slots_[index];
    s.items.push_back(item);
    ++size_;
    if (s.items.size() >= max_items) return take(index);
    return std::nullopt;
  }

  // Every batch whose linger time has passed, the earliest due first.
  std::vector<batch<Item>> take_due(std::int64_t now_ms) {
    std::vector<batch<Item>> out;
    while (!due_.empty() && due_.front().due_ms <= now_ms) {
      const due_entry e = pop_due();
      if (slots_[e.slot].id == e.id) out.push_back(take(e.slot));
    }
    compact();
    return out;
  }

  // Every open batch, the earliest due first.
  std::vector<batch<Item>> take_all() {
    std::vector<batch<Item>> out;
    while (!due_.empty()) {
      const due_entry e = pop_due();
      if (slots_[e.slot].id == e.id) out.push_back(take(e.slot));
    }
    compact();
    return out;
  }

  // When the oldest open batch falls due, if any is open.
  std::optional<std::int64_t> next_due_ms() const {
    drop_stale();
    if (due_.empty()) return std::nullopt;
    return due_.front().due_ms;
  }

  std::size_t size() const { return size_; }
  // Routes with an open batch (what the batcher holds on to).
  std::size_t route_count() const { return open_.size(); }

 private:
  // An open batch. Slots live in a deque (their addresses never move) so that the map's key can
  // view the slot's own copy of the route; a freed slot keeps its buffers for the next route.
  struct slot {
    std::string route;
    std::vector<Item*> items;
    std::uint64_t id = 0;  // 0 while free; a heap entry naming another id is stale
  };
  struct due_entry {
    std::int64_t due_ms;
    std::uint64_t id;
    std::uint32_t slot;
  };
  // std::push_heap keeps the greatest first: "later" makes it a min-heap on (due, opening order).
  static bool later(const due_entry& a, const due_entry& b) {
    return a.due_ms != b.due_ms ? a.due_ms > b.due_ms : a.id > b.id;
  }
  using route_map = boost::unordered_flat_map<std::string_view, std::uint32_t, std::hash<std::string_view>>;
  // Freed slots kept beyond this many are given back once nothing is open (after a burst of
  // distinct routes), so that the batcher's memory follows what is open now, not its peak.
  static constexpr std::size_t kept_slots = 1024;

  typename route_map::iterator open(std::string_view route, std::size_t max_items, std::int64_t now_ms) {
    std::uint32_t index;
    if (!free_.empty()) {
      index = free_.back();
      free_.pop_back();
    } else {
      index = static_cast<std::uint32_t>(slots_.size());
      slots_.emplace_back();
    }
    slot& s = slots_[index];
    s.route.assign(route);
    s.id = ++last_id_;
    s.items.reserve(max_items);
    due_.push_back({now_ms + linger_ms_, s.id, index});
    std::push_heap(due_.begin(), due_.end(), later);
    return open_.emplace(std::string_view(s.route), index).first;
  }

  batch<Item> take(std::uint32_t index) {
    slot& s = slots_[index];
    open_.erase(std::string_view(s.route));
    size_ -= s.items.size();
    s.id = 0;
    free_.push_back(index);
    batch<Item> b{s.route, std::move(s.items)};
    s.items = {};
    return b;
  }

  due_entry pop_due() const {
    std::pop_heap(due_.begin(), due_.end(), later);
    const due_entry e = due_.back();
    due_.pop_back();
    return e;
  }

  // Mutable state in a const query: dropping entries already known to be stale changes nothing
  // anyone can observe.
  void drop_stale() const {
    while (!due_.empty() && slots_[due_.front().slot].id != due_.front().id) pop_due();
  }

  void compact() {
    if (!open_.empty()) return;
    due_.clear();  // nothing is open: every entry left is stale
    if (slots_.size() > kept_slots) {
      slots_.clear();
      slots_.shrink_to_fit();
      free_.clear();
      free_.shrink_to_fit();
    }
  }

  std::int64_t linger_ms_;
  route_map open_;
  std::deque<slot> slots_;
  std::vector<std::uint32_t> free_;
  mutable std::vector<due_entry> due_;
  std::uint64_t last_id_ = 0;
  std::size_t size_ = 0;
};

}  // namespace herald::batch
