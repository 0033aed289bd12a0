#pragma once
// What a Redis Cluster client's routing met so far (redis::client::cluster_stats), apart from
// client.hpp so that the metrics can hold it without Asio's headers.
#include <cstdint>

namespace herald::redis {

struct cluster_counts {
  std::uint64_t moved = 0;      // answers that sent a command to another node for good (the slot moved)
  std::uint64_t ask = 0;        // ... for once (the slot is migrating)
  std::uint64_t busy = 0;       // rounds that waited on TRYAGAIN or CLUSTERDOWN
  std::uint64_t map_reads = 0;  // CLUSTER SLOTS read
  std::uint64_t primaries = 0;  // in the last map read (a gauge)
};

}  // namespace herald::redis
