#pragma once
// A librdkafka producer whose delivery reports are served on the io_context's thread: idempotent,
// or (kafka.transactions) transactional, committing what it produced together with the consumed
// offsets those records settle (KIP-447 consume-transform-produce).
//
// Transactional mode. Records are committed in transactions of about transaction_interval_ms; at
// each commit point the producer asks offsets_now() for the consumed offsets that the records
// given so far settle and commits them with those records, under the consumer group's metadata
// (a member the group has moved on from cannot commit). The blocking calls (init, send offsets,
// commit, abort) run on a thread of the producer's own; delivery reports stay on the io thread,
// which must keep running while a commit is under way (flush() serves them itself). A record's
// target hears once: delivered once its transaction committed; a failure (record too large, topic
// unusable) after its transaction was aborted, the other records of it being produced again in the
// next one; dropped when its source was dropped before its commit (drop_sources). An error that
// only aborts (coordinator moved, broker restart, a rebalance's new generation) produces the same
// records again in the next transaction, with fresh offsets. Fenced by a newer instance with the
// same transactional.id, or any other fatal error: on_fatal_error, and nothing more is committed.
#include <boost/asio/any_io_executor.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "herald/config/config.hpp"
#include "herald/kafka/types.hpp"

namespace herald::kafka {

class consumer;

class producer {
 public:
  // Throws std::runtime_error when librdkafka refuses the configuration. Transactional when
  // cfg.transactions: it starts at once in the background (init_transactions, which also aborts
  // what an earlier instance with the same transactional.id left open, then the first
  // transaction); records given meanwhile wait, the io thread is never blocked.
  producer(boost::asio::any_io_executor ex, const config::kafka_config& cfg);
  ~producer();
  // Start-up only (blocks up to timeout per topic): fetches the topics' metadata so that the first
  // outcomes do not wait for it. Returns "topic: error" for each topic that cannot be written
  // (missing, forbidden, invalid: produce_error::topic_unusable); a broker that does not answer yet
  // is only a warning. The producer never asks the broker to create a topic
  // (allow.auto.create.topics=false unless producer_properties say otherwise).
  std::vector<std::string> warm_up(std::span<const std::string> topics, std::chrono::milliseconds timeout);
  producer(const producer&) = delete;
  producer& operator=(const producer&) = delete;

  // Enqueues one message; target->on_delivery is called exactly once on the io thread, never from
  // inside produce() (when librdkafka's queue is full the message waits in a local backlog; a
  // transient failure is produced again after a backoff, produce_retry_delay_ms; only a permanent
  // one is reported as a failure). source: the consumed partition the record settles (0 = none),
  // for drop_sources; the idempotent producer ignores it. Transactional: one copy of the record
  // is kept until its transaction committed, to produce it again after an abort.
  void produce(std::string_view topic, std::string_view key, std::string_view value,
               std::span<const header> headers, delivery_target* target, nulls null_parts = {},
               source_tag source = 0);
  // The same without copying the value: its bytes must stay alive and unchanged until
  // target->on_delivery has been called (outcome records: the item owns them until then; the
  // transactional producer produces them again from there after an abort).
  void produce_borrowed(std::string_view topic, std::string_view key, std::string_view value,
                        std::span<const header> headers, delivery_target* target, source_tag source = 0);
  bool is_transactional() const;
  // Transactional: called on the io thread at each commit point (every transaction_interval_ms
  // while records or offsets are pending); returns the next offset to consume of each partition
  // whose records given so far are all settled by records given so far. The producer commits those
  // that changed since its last commit together with the records produced before that point.
  void on_commit_point(std::function<std::vector<committed_offset>()> offsets_now);
  // Transactional: the consumer whose group the offsets are committed in (its group metadata is
  // fetched fresh at each commit point). It must stay alive, and in its group, until flush() has
  // returned: close the consumer after the final flush.
  void use_group_metadata_of(consumer& c);
  // Transactional: the partitions were revoked. Records tagged with them that are not committed
  // yet are never committed: one in the open transaction has it aborted (the others are produced
  // again in the next one), one that waits is taken out. Their targets hear kind
  // produce_error::dropped, later, on the io thread. A record whose transaction is already being
  // committed hears what became of it: delivered if that commit succeeds, dropped if it aborts.
  // The idempotent producer cannot take records back: a no-op there.
  void drop_sources(std::span<const source_tag> tags);
  // Called after each drain of delivery reports (the pipeline stores offsets there, once).
  void on_reports_drained(std::function<void()> cb);
  // Records whose targets have not heard yet.
  std::size_t outstanding() const;
  // Blocks until every message is delivered or the timeout passes; returns what is left.
  // Transactional: also commits what is open (with offsets_now()), serving delivery reports and
  // the targets' reports meanwhile on the calling (io) thread; what is left was not committed.
  std::size_t flush(std::chrono::milliseconds timeout);
  // A fatal idempotence error means the outcome stream can no longer be trusted: stop.
  bool has_fatal_error() const;
  // Called once, on the io thread, when librdkafka reports a fatal error (with its reason).
  void on_fatal_error(std::function<void(std::string reason)> cb);
  // The producer's message.max.bytes: a record (key, value, headers) larger than this is refused.
  std::size_t max_record_bytes() const;
  // Records produced again after a transient failure (a counter for /metrics); transactional:
  // records produced again after an abort.
  std::uint64_t retries() const;
  // Transactional: the id in use (kafka.transactional_id or the one made for this pod), and the
  // transactions committed and aborted so far (counters for /metrics). Empty and 0 otherwise.
  const std::string& transactional_id() const;
  std::uint64_t transactions_committed() const;
  std::uint64_t transactions_aborted() const;

 private:
  struct impl;
  std::shared_ptr<impl> impl_;
};

}  // namespace herald::kafka
