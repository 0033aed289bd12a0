#pragma once
// The commit watermark of one partition: events settle out of order, and the offset that may be
// committed is the lowest one not yet settled (modern-cpp-kafka's "unordered offset commit queue").
#include <cstdint>
#include <deque>
#include <optional>

namespace herald::pipeline {

class watermark {
 public:
  // Offsets must be tracked in increasing order (as a partition delivers them).
  void track(std::int64_t offset);
  // Marks a tracked offset settled; returns false if it was not tracked (or already settled).
  bool settle(std::int64_t offset);
  // The offset to commit (the next one to consume): the lowest unsettled offset, or one past
  // the highest settled when everything is settled. Empty until something settled.
  std::optional<std::int64_t> committable() const;
  std::size_t in_flight() const { return unsettled_; }
  // Forget everything (the partition was revoked).
  void reset();

 private:
  struct entry {
    std::int64_t offset;
    bool is_settled;
  };
  std::deque<entry> entries_;
  std::size_t unsettled_ = 0;
  std::optional<std::int64_t> next_after_settled_;
};

}  // namespace herald::pipeline
