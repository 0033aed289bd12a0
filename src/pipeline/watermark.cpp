#include "herald/pipeline/watermark.hpp"

#include <algorithm>

namespace herald::pipeline {

void watermark::track(std::int64_t offset) {
  entries_.push_back({offset, false});
  ++unsettled_;
}

bool watermark::settle(std::int64_t offset) {
  auto it = std::lower_bound(entries_.begin(), entries_.end(), offset,
                             [](const entry& e, std::int64_t o) { return e.offset < o; });
  if (it == entries_.end() || it->offset != offset || it->is_settled) return false;
  it->is_settled = true;
  --unsettled_;
  while (!entries_.empty() && entries_.front().is_settled) {
    next_after_settled_ = entries_.front().offset + 1;
    entries_.pop_front();
  }
  return true;
}

std::optional<std::int64_t> watermark::committable() const {
  if (!next_after_settled_) return std::nullopt;
  // Everything before the front entry has settled; the front (if any) is the lowest unsettled.
  return entries_.empty() ? *next_after_settled_ : entries_.front().offset;
}

void watermark::reset() {
  entries_.clear();
  unsettled_ = 0;
  next_after_settled_.reset();
}

}  // namespace herald::pipeline
