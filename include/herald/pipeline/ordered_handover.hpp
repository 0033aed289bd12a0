#pragma once
// Finished events of one partition whose records wait for every offset below theirs to settle
// before they go into a Kafka transaction. A transaction commits its records with the partition's
// committable offset, the lowest unsettled one: a record of a higher offset committed earlier would
// be committed while its own offset is not, and a crash then would deliver its event again, for a
// second committed outcome. Plain data: Item has an `offset`.
#include <algorithm>
#include <cstdint>
#include <vector>

namespace herald::pipeline {

template <class Item>
class ordered_handover {
 public:
  void push(Item* it) {
    heap_.push_back(it);
    std::push_heap(heap_.begin(), heap_.end(), later{});
  }
  // Calls give(it) for every waiting event below next_offset (the watermark's committable), in
  // offset order.
  template <class Give>
  void release_below(std::int64_t next_offset, Give&& give) {
    while (!heap_.empty() && heap_.front()->offset < next_offset) {
      std::pop_heap(heap_.begin(), heap_.end(), later{});
      Item* it = heap_.back();
      heap_.pop_back();
      give(it);
    }
  }
  // Everything still waiting, in no order (the partition was revoked).
  std::vector<Item*> take_all() {
    std::vector<Item*> out;
    out.swap(heap_);
    return out;
  }
  std::size_t size() const { return heap_.size(); }

 private:
  struct later {
    bool operator()(const Item* a, const Item* b) const { return a->offset > b->offset; }
  };
  std::vector<Item*> heap_;  // a min-heap by offset
};

}  // namespace herald::pipeline
