#pragma once
// Groups items into gateway calls: one open batch per route (account + whatever the gateway needs
// equal within a call), flushed when it reaches the route's maximum or its linger time. Pure: the
// time is passed in, the caller owns the timer.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
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

  // Adds an item; returns the route's batch when this item filled it.
  std::optional<batch<Item>> add(const std::string& route, std::size_t max_items, Item* item, std::int64_t now_ms) {
    auto& open = open_[route];
    if (open.items.empty()) {
      open.opened_at_ms = now_ms;
      open.items.reserve(max_items);
    }
    open.items.push_back(item);
    ++size_;
    if (open.items.size() >= max_items) return take(route, open);
    return std::nullopt;
  }

  // Every batch whose linger time has passed.
  std::vector<batch<Item>> take_due(std::int64_t now_ms) {
    std::vector<batch<Item>> out;
    for (auto& [route, open] : open_)
      if (!open.items.empty() && now_ms - open.opened_at_ms >= linger_ms_) out.push_back(take(route, open));
    return out;
  }

  std::vector<batch<Item>> take_all() {
    std::vector<batch<Item>> out;
    for (auto& [route, open] : open_)
      if (!open.items.empty()) out.push_back(take(route, open));
    return out;
  }

  // When the oldest open batch falls due, if any is open.
  std::optional<std::int64_t> next_due_ms() const {
    std::optional<std::int64_t> due;
    for (const auto& [route, open] : open_)
      if (!open.items.empty() && (!due || open.opened_at_ms + linger_ms_ < *due)) due = open.opened_at_ms + linger_ms_;
    return due;
  }

  std::size_t size() const { return size_; }

 private:
  struct open_batch {
    std::vector<Item*> items;
    std::int64_t opened_at_ms = 0;
  };

  batch<Item> take(const std::string& route, open_batch& open) {
    size_ -= open.items.size();
    batch<Item> b{route, std::move(open.items)};
    open.items = {};
    return b;
  }

  std::int64_t linger_ms_;
  std::unordered_map<std::string, open_batch> open_;
  std::size_t size_ = 0;
};

}  // namespace herald::batch
