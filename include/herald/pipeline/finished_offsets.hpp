#pragma once
// Which offsets above a partition's committed one are finished already, carried in the offset
// commit's metadata (docs/retries.md, "Holding a partition"). With transactions a finished
// event's records commit with the next transaction, often before a lower offset of its partition
// is settled; the commit's metadata names those offsets, so that a later owner of the partition
// (a restart, a rebalance) drops their redelivery instead of ending them a second time. Plain
// code, no Kafka: "h1:<committed offset>:<hex bitmap>", bit i (low bit first in each byte) for
// offset committed + i.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "herald/pipeline/watermark.hpp"

namespace herald::pipeline {

// Offsets in [committed, committed + finished_window) can be named; a finished event above them
// waits for the committed offset to come closer before its records are given (3,750 hex
// characters, under Kafka's default offset.metadata.max.bytes of 4,096).
inline constexpr std::int64_t finished_window = 15000;

// The metadata for committing `committed` (the watermark's committable offset): the settled
// offsets above it, within the window. "" when there are none.
std::string encode_finished(std::int64_t committed, const watermark& w);

// The finished offsets named by metadata committed with `committed`; none when the metadata is
// empty, not Herald's, or was written with another committed offset.
std::vector<std::int64_t> decode_finished(std::string_view metadata, std::int64_t committed);

}  // namespace herald::pipeline
