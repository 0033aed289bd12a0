#pragma once
// librdkafka's high-level consumer bridged into Asio: the consumer queue wakes an Asio descriptor
// (rd_kafka_queue_io_event_enable), so there is no busy polling and everything runs on the
// io_context's thread, rebalance callbacks included.
#include <boost/asio/any_io_executor.hpp>
#include <functional>
#include <memory>
#include <span>
#include <vector>

#include "herald/config/config.hpp"
#include "herald/kafka/types.hpp"

namespace herald::kafka {

class consumer {
 public:
  struct handlers {
    std::function<void(const message_view&)> on_message;
    std::function<void(std::span<const topic_partition>)> on_assigned;
    // Transactions: right after on_assigned, before any of their messages, each assigned
    // partition's committed offset (-1: none) and the metadata committed with it.
    std::function<void(const topic_partition&, std::int64_t committed, std::string_view metadata)> on_committed;
    // Called before the partitions are given up: store their final offsets now.
    std::function<void(std::span<const topic_partition>)> on_revoked;
    // A consume error that names no record (already logged): for a metric.
    std::function<void(std::string_view error)> on_error;
    // librdkafka's statistics JSON (its STATISTICS.md), every statistics.interval.ms: 5000 unless
    // consumer_properties set it (0 turns them off). On the executor. Without a handler librdkafka
    // makes none.
    std::function<void(std::string_view json)> on_statistics;
    // librdkafka's fatal consumer error (e.g. fenced: another member joined with this
    // group.instance.id). The consumer can do nothing more; called once, on the executor.
    std::function<void(std::string reason)> on_fatal;
  };

  // Throws std::runtime_error with librdkafka's message when the configuration is refused.
  consumer(boost::asio::any_io_executor ex, const config::kafka_config& cfg, handlers h);
  ~consumer();
  consumer(const consumer&) = delete;
  consumer& operator=(const consumer&) = delete;

  void start();
  // While gated nothing is taken from the consumer queue (rebalance events neither): what waits is
  // bounded by librdkafka's prefetch limit (queued.max.messages.kbytes, the whole queue's), and nothing
  // is fetched twice, unlike a pause, after which librdkafka drops what it had prefetched and
  // fetches it again on resume. Keep gates short: a rebalance waits for the gate to open.
  void set_gated(bool gated);
  void pause(const topic_partition& tp);
  void resume(const topic_partition& tp);
  // The next message delivered from the partition is the one at offset (use while it is paused).
  void seek(const topic_partition& tp, std::int64_t offset);
  // Stores the next offset to consume for a partition; the periodic commit picks it up.
  // With kafka.transactions offsets are committed only in the producer's transactions: then this,
  // commit_now() and the commits on revoke and close do nothing (and auto-commit is off).
  void store_offset(const topic_partition& tp, std::int64_t next_offset);
  void commit_now();
  // The group's current membership (member id, generation) as librdkafka's opaque
  // rd_kafka_consumer_group_metadata_t, fresh at each call, for a transactional producer's offset
  // commits (KIP-447: a member the group has moved on from cannot commit). Never null.
  std::shared_ptr<void> group_metadata() const;
  // Commits (without transactions), leaves the group and stops polling.
  void close();

 private:
  struct impl;
  std::shared_ptr<impl> impl_;
};

}  // namespace herald::kafka
