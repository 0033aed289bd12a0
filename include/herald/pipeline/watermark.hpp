#pragma once
// The commit watermark of one partition: events settle out of order, and the offset that may be
// committed is the lowest one not yet settled (modern-cpp-kafka's "unordered offset commit queue").
// An offset never tracked (a gap: compaction, transaction markers) is not skipped until a higher
// offset settles: committing below a gap costs nothing, skipping an offset still to come loses it.
#include <cstdint>
#include <deque>
#include <optional>

namespace herald::pipeline {

class watermark {
 public:
  // What an offset is to this partition. Kafka delivers a partition in order, but a record can
  // come again (a seek back, a fetch retried after an error): tracking it twice would freeze the
  // commit (its second entry never settles) and handling it twice would send it twice.
  enum class track_result {
    tracked,            // new: tracked now (in order, even if it came after a higher offset)
    already_in_flight,  // tracked and not settled: its first delivery is still being handled
    already_settled,    // settled, or below the committed point: its first delivery is done
  };
  // Tracks a new offset; a redelivered one is left as it is and reported, for the caller to drop.
  [[nodiscard]] track_result track(std::int64_t offset);
  // What track() would answer, without tracking.
  track_result check(std::int64_t offset) const;
  // Marks a tracked offset settled; returns false if it was not tracked (or already settled).
  bool settle(std::int64_t offset);
  // The offset to commit (the next one to consume): one past the settled offsets that no
  // unsettled one precedes. Empty until something settled. It never moves back: an offset below
  // it is reported already_settled by track(), not tracked again.
  std::optional<std::int64_t> committable() const;
  // committable(), or before anything settled the lowest offset tracked: where a restart would
  // begin. Empty while nothing is known, and while a preset offset is the lowest one known (the
  // offsets below it are not consumed yet: a commit there would skip them).
  std::optional<std::int64_t> low_water() const {
    if (next_after_settled_) return next_after_settled_;
    if (!entries_.empty() && !entries_.front().is_settled) return entries_.front().offset;
    return std::nullopt;
  }
  std::size_t in_flight() const { return unsettled_; }
  // Forget everything (the partition was revoked).
  void reset();
  // An offset above the committed point whose event is known to be finished already (its outcome
  // committed by an earlier owner: finished_offsets.hpp): settled without being tracked, so that
  // its redelivery is dropped. Offsets at or below the committed point are ignored. The commit
  // passes it only once it has been delivered here (Kafka delivers in order: every offset below
  // it has been tracked by then); before, the offsets below it may still be on their way.
  void preset_settled(std::int64_t offset);
  // Kafka delivered this offset (track() says so itself; a caller that only check()ed a
  // redelivery says it here): presets up to it may be passed.
  void note_delivered(std::int64_t offset);
  // The settled offsets above the committable point, in increasing order, while f returns true.
  template <class F>
  void for_each_settled_above(F&& f) const {
    for (const auto& e : entries_)
      if (e.is_settled && !f(e.offset)) return;
  }

 private:
  struct entry {
    std::int64_t offset;
    bool is_settled;
    bool is_preset = false;  // settled by preset_settled, not by this consumer's delivery
  };
  // Where an offset would go, and whether it is there.
  std::deque<entry>::const_iterator find(std::int64_t offset) const;
  // Moves the committable point past the settled front, stopping at a preset not delivered yet.
  void pop_settled_front();
  std::deque<entry> entries_;  // in offset order; everything before the front has settled
  std::size_t unsettled_ = 0;
  std::optional<std::int64_t> next_after_settled_;
  // The highest offset delivered (tracked or checked as a redelivery); -1: none yet.
  std::int64_t highest_delivered_ = -1;
};

}  // namespace herald::pipeline
