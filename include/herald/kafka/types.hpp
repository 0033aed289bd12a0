#pragma once
#include <compare>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace herald::kafka {

struct topic_partition {
  std::string topic;
  std::int32_t partition = 0;
  auto operator<=>(const topic_partition&) const = default;
};

struct topic_partition_hash {
  std::size_t operator()(const topic_partition& tp) const noexcept {
    return std::hash<std::string>{}(tp.topic) * 31 + static_cast<std::size_t>(tp.partition);
  }
};

// A consumed message, valid only during the callback that receives it.
struct message_view {
  std::string_view topic;
  std::int32_t partition = 0;
  std::int64_t offset = 0;
  std::string_view key;
  std::string_view payload;
  std::int64_t timestamp_ms = -1;
};

struct header {
  std::string_view name;
  std::string_view value;
};

// Receives the delivery report of one produced message (no allocation per message: the
// producer passes this pointer to librdkafka as the message's opaque).
class delivery_target {
 public:
  virtual void on_delivery(bool delivered, std::string_view error) = 0;

 protected:
  ~delivery_target() = default;
};

}  // namespace herald::kafka
