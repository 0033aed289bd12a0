#include "herald/pipeline/watermark.hpp"

#include <algorithm>

namespace herald::pipeline {

std::deque<watermark::entry>::const_iterator watermark::find(std::int64_t offset) const {
  return std::lower_bound(entries_.begin(), entries_.end(), offset,
                          [](const entry& e, std::int64_t o) { return e.offset < o; });
}

watermark::track_result watermark::check(std::int64_t offset) const {
  // Every entry is at or above the committed point, and everything below it has settled.
  if (next_after_settled_ && offset < *next_after_settled_) return track_result::already_settled;
  if (entries_.empty() || entries_.back().offset < offset) return track_result::tracked;  // as Kafka delivers
  auto it = find(offset);
  if (it == entries_.end() || it->offset != offset) return track_result::tracked;
  return it->is_settled ? track_result::already_settled : track_result::already_in_flight;
}

watermark::track_result watermark::track(std::int64_t offset) {
  const track_result seen = check(offset);
  if (seen == track_result::tracked) {
    if (entries_.empty() || entries_.back().offset < offset) entries_.push_back({offset, false});
    else entries_.insert(find(offset), {offset, false});  // came after a higher one: kept in order
    ++unsettled_;
  }
  note_delivered(offset);
  return seen;
}

void watermark::note_delivered(std::int64_t offset) {
  if (offset <= highest_delivered_) return;
  highest_delivered_ = offset;
  pop_settled_front();
}

void watermark::pop_settled_front() {
  // A preset not delivered yet stops it: the offsets between the front and it may still come, and
  // passing it would commit past them (and drop them as redeliveries when they came).
  while (!entries_.empty() && entries_.front().is_settled &&
         (!entries_.front().is_preset || entries_.front().offset <= highest_delivered_)) {
    next_after_settled_ = entries_.front().offset + 1;
    entries_.pop_front();
  }
}

bool watermark::settle(std::int64_t offset) {
  auto it = std::lower_bound(entries_.begin(), entries_.end(), offset,
                             [](const entry& e, std::int64_t o) { return e.offset < o; });
  if (it == entries_.end() || it->offset != offset || it->is_settled) return false;
  it->is_settled = true;
  --unsettled_;
  pop_settled_front();
  return true;
}

std::optional<std::int64_t> watermark::committable() const {
  // Not the front entry's offset when a gap precedes it: an offset in the gap may still come.
  return next_after_settled_;
}

void watermark::preset_settled(std::int64_t offset) {
  if (check(offset) != track_result::tracked) return;
  if (entries_.empty() || entries_.back().offset < offset) entries_.push_back({offset, true, true});
  else entries_.insert(find(offset), {offset, true, true});
  pop_settled_front();
}

void watermark::reset() {
  entries_.clear();
  unsettled_ = 0;
  next_after_settled_.reset();
  highest_delivered_ = -1;
}

}  // namespace herald::pipeline
