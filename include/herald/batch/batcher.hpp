#pragma once
// Groups items into gateway calls: one open batch per route (account + whatever the gateway needs
// equal within a call), flushed when it reaches the route's maximum or its linger time. Pure: the
// time is passed in, the caller owns the timer.
//
// A route exists only while it has an open batch: a gateway like aliyun_card makes nearly one
// route per event, and keeping every route ever seen made each linger tick a scan over all of
// them (327 ms of CPU after 250k routes). Due times come from a min-heap with lazy deletion: a
// batch taken because it filled leaves its heap entry behind, recognised as stale by its id.
//
// Distinct keys: items of one route with the same non-empty key never share a batch (fw199 抖店
// matches answers by the echoed order_id, so two items with one order_id in a call could not be
// told apart; gateway::batch_distinct_key). An item whose key is already in the route's open
// batch goes into the next one, a batch opened behind it (with its own linger time) that becomes
// the route's open batch once the first is taken. A route's batches form a chain; an item walks it
// only while each batch already holds its key, so an item without a key, or with one not yet seen,
// costs one lookup; the k-th item with one key within a linger time walks k batches (a key repeated
// that often in one route is a producer sending one order the same template many times).
#include <boost/unordered/unordered_flat_map.hpp>
#include <boost/unordered/unordered_flat_set.hpp>

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

  // Adds an item; returns the batch this item filled, if it did. The route is copied only when
  // it opens a batch (into a slot whose buffer is reused), never for an item joining one.
  // distinct_key: "" = none; else no batch holds two items with this key (see above). It is kept
  // as a view: it must stay valid while the item is in the batcher (the item's own field).
  std::optional<batch<Item>> add(std::string_view route, std::size_t max_items, Item* item, std::int64_t now_ms,
                                 std::string_view distinct_key = {}) {
    auto pos = open_.find(route);
    std::uint32_t index;
    if (pos == open_.end()) {
      // Full with its first item: no batch is opened, so nothing is left to clean up.
      if (max_items <= 1) return batch<Item>{std::string(route), std::vector<Item*>{item}};
      index = open_slot(route, max_items, now_ms);
      open_.emplace(std::string_view(slots_[index].route), index);
    } else {
      index = pos->second;
      if (!distinct_key.empty()) {
        // The first batch of the chain without the key, or a new one behind the last.
        while (slots_[index].keys.contains(distinct_key)) {
          const std::uint32_t next = slots_[index].next;
          if (next != no_slot) {
            index = next;
            continue;
          }
          const std::uint32_t added = open_slot(route, max_items, now_ms);
          slots_[index].next = added;
          slots_[added].prev = index;
          index = added;
          break;
        }
      }
    }
    slot& s = slots_[index];
    if (!distinct_key.empty()) s.keys.insert(distinct_key);
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
  // Open batches: one per route, more where distinct keys made a route open a next one.
  std::size_t batch_count() const { return slots_.size() - free_.size(); }

 private:
  // An open batch. Slots live in a deque (their addresses never move) so that the map's key can
  // view the slot's own copy of the route; a freed slot keeps its buffers for the next route.
  static constexpr std::uint32_t no_slot = UINT32_MAX;
  struct slot {
    std::string route;
    std::vector<Item*> items;
    std::uint64_t id = 0;  // 0 while free; a heap entry naming another id is stale
    // The route's chain of batches (distinct keys): the one before (no_slot: this is the open
    // batch the route map names) and after.
    std::uint32_t prev = no_slot;
    std::uint32_t next = no_slot;
    // The distinct keys of the items in this batch; empty, and without an allocation, for
    // gateways that have none. Cleared, not freed, when the slot is reused.
    boost::unordered_flat_set<std::string_view, std::hash<std::string_view>> keys;
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

  // A batch for route, due linger_ms_ from now; the caller links it (route map or chain).
  std::uint32_t open_slot(std::string_view route, std::size_t max_items, std::int64_t now_ms) {
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
    return index;
  }

  batch<Item> take(std::uint32_t index) {
    slot& s = slots_[index];
    if (s.prev == no_slot) {
      // The route's open batch: the next of its chain, if any, takes its place in the map.
      open_.erase(std::string_view(s.route));
      if (s.next != no_slot) {
        slot& next = slots_[s.next];
        next.prev = no_slot;
        open_.emplace(std::string_view(next.route), s.next);
      }
    } else {
      // Later batches of a chain hold no more items than the ones before and are due later, so
      // this is not expected; unlinked all the same.
      slots_[s.prev].next = s.next;
      if (s.next != no_slot) slots_[s.next].prev = s.prev;
    }
    s.prev = s.next = no_slot;
    s.keys.clear();
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
