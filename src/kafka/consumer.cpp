#include "herald/kafka/consumer.hpp"

#include <librdkafka/rdkafka.h>

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <stdexcept>
#include <string>
#include <vector>

#include "herald/kafka/produce_error.hpp"
#include "herald/util/log.hpp"
#include "queue_waker.hpp"

namespace herald::kafka {
namespace {

// Messages handled per wake-up before yielding to other work on the io_context.
constexpr int poll_budget = 2000;

std::vector<topic_partition> to_vector(const rd_kafka_topic_partition_list_t* list) {
  std::vector<topic_partition> out;
  out.reserve(static_cast<std::size_t>(list->cnt));
  for (int i = 0; i < list->cnt; ++i) out.push_back({list->elems[i].topic, list->elems[i].partition});
  return out;
}

struct tp_list {
  rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(1);
  ~tp_list() { rd_kafka_topic_partition_list_destroy(list); }
};

}  // namespace

struct consumer::impl : std::enable_shared_from_this<consumer::impl> {
  boost::asio::any_io_executor ex;
  handlers h;
  rd_kafka_t* rk = nullptr;
  rd_kafka_queue_t* queue = nullptr;
  std::unique_ptr<detail::queue_waker> waker;
  std::vector<std::string> topics;
  bool is_closed = false;
  bool is_drain_posted = false;
  bool is_gated = false;
  bool is_fatal_reported = false;
  // Offsets go only through the producer's transactions (kafka.transactions).
  bool is_transactional = false;
  std::unique_ptr<boost::asio::steady_timer> keepalive;

  // librdkafka before 2.2 (Debian 12's is 2.0.2) stops fetching once the consumer queue holds
  // queued.max.messages.kbytes and sets no wake-up for when it drains: the broker thread sleeps
  // until its next one-second tick (librdkafka issue #2879; 2.2 added fetch.queue.backoff.ms).
  // A pre-loaded run fetched ~65,000 events a tick, handled them in 0.7 s and waited out the
  // rest (bench/README.md). So when Herald empties the queue it wakes the broker threads itself:
  // rd_kafka_sasl_set_credentials, given the credentials already configured, is the one public
  // call whose only other effect is that wake-up.
  bool needs_fetch_wakeup = false;
  std::string sasl_username;
  std::string sasl_password;
  std::chrono::steady_clock::time_point last_fetch_wakeup{};
  void wake_fetcher() {
    if (!needs_fetch_wakeup) return;
    const auto now = std::chrono::steady_clock::now();
    if (now - last_fetch_wakeup < std::chrono::milliseconds(5)) return;
    last_fetch_wakeup = now;
    if (rd_kafka_error_t* e = rd_kafka_sasl_set_credentials(rk, sasl_username.c_str(), sasl_password.c_str())) {
      log::warn("kafka fetcher wake-up failed", {{"error", rd_kafka_error_string(e)}});
      rd_kafka_error_destroy(e);
    }
  }

  ~impl() {
    waker.reset();
    if (queue) rd_kafka_queue_destroy(queue);
    if (rk) rd_kafka_destroy(rk);
  }

  // The committed offsets and their metadata of newly assigned partitions (a copy of the list:
  // the assignment's own starts where librdkafka decides). It waits for a transaction of the
  // partitions' previous owner still being committed (read_committed asks for stable offsets).
  void read_committed(rd_kafka_t* rk, const rd_kafka_topic_partition_list_t* parts) {
    rd_kafka_topic_partition_list_t* copy = rd_kafka_topic_partition_list_copy(parts);
    const rd_kafka_resp_err_t err = rd_kafka_committed(rk, copy, 10000);
    if (err) {
      // Without them nothing is preset: redeliveries of finished events are ended again (the
      // ledger still sends nothing twice); logged so that it is seen.
      log::warn("kafka committed offsets of assigned partitions not read", {{"error", rd_kafka_err2str(err)}});
    } else {
      for (int i = 0; i < copy->cnt; ++i) {
        const auto& e = copy->elems[i];
        const std::string_view metadata(static_cast<const char*>(e.metadata), e.metadata ? e.metadata_size : 0);
        h.on_committed({e.topic, e.partition}, e.offset, metadata);
      }
    }
    rd_kafka_topic_partition_list_destroy(copy);
  }

  static void rebalance_cb(rd_kafka_t* rk, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* parts,
                           void* opaque) {
    auto* self = static_cast<impl*>(opaque);
    auto list = to_vector(parts);
    const bool is_cooperative = std::string_view(rd_kafka_rebalance_protocol(rk)) == "COOPERATIVE";
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
      rd_kafka_error_t* e = nullptr;
      if (is_cooperative) e = rd_kafka_incremental_assign(rk, parts);
      else rd_kafka_assign(rk, parts);
      if (e) {
        log::error("kafka assign failed", {{"error", rd_kafka_error_string(e)}});
        rd_kafka_error_destroy(e);
      }
      log::info("kafka partitions assigned", {{"count", static_cast<std::int64_t>(list.size())}});
      if (self->h.on_assigned) self->h.on_assigned(list);
      if (self->is_transactional && self->h.on_committed && parts->cnt > 0) self->read_committed(rk, parts);
    } else {
      // Settled offsets of the revoked partitions are stored by the handler and committed here,
      // so the next owner starts exactly after what this worker finished. With transactions the
      // handler drops what is not committed yet: the next owner starts after the last transaction.
      if (self->h.on_revoked) self->h.on_revoked(list);
      if (!self->is_transactional) {
        rd_kafka_resp_err_t cerr = rd_kafka_commit(rk, nullptr, 0);
        if (cerr && cerr != RD_KAFKA_RESP_ERR__NO_OFFSET)
          log::warn("kafka commit on revoke failed", {{"error", rd_kafka_err2str(cerr)}});
      }
      if (is_cooperative) {
        if (auto* e = rd_kafka_incremental_unassign(rk, parts)) {
          log::error("kafka unassign failed", {{"error", rd_kafka_error_string(e)}});
          rd_kafka_error_destroy(e);
        }
      } else {
        rd_kafka_assign(rk, nullptr);
      }
      log::info("kafka partitions revoked", {{"count", static_cast<std::int64_t>(list.size())}});
    }
  }

  // Served by the poll like the rebalance callback (so on the io thread), but posted with a copy
  // anyway: the handler's parse never runs inside a consume batch, and nothing here depends on
  // which thread librdkafka serves it from. A weak reference: it may come while the consumer is
  // being destroyed.
  static int stats_cb(rd_kafka_t*, char* json, size_t json_len, void* opaque) {
    auto* self = static_cast<impl*>(opaque);
    if (auto keep = self->weak_from_this().lock()) {
      boost::asio::post(keep->ex, [keep, text = std::string(json, json_len)] {
        if (!keep->is_closed && keep->h.on_statistics) keep->h.on_statistics(text);
      });
    }
    return 0;  // librdkafka frees json
  }

  static void error_cb(rd_kafka_t* rk, int err, const char* reason, void* opaque) {
    if (err != RD_KAFKA_RESP_ERR__FATAL) {
      log::warn("kafka consumer error", {{"code", rd_kafka_err2name(static_cast<rd_kafka_resp_err_t>(err))},
                                         {"reason", reason}});
      return;
    }
    static_cast<impl*>(opaque)->report_fatal(rk, reason);
  }

  // A fatal error leaves a consumer that fetches and commits nothing ever again, while the
  // process would look alive (/healthz 200) and hold its transactional id: the worker must stop
  // so that the pod restarts and the partitions go to a live member. librdkafka tells it as an
  // error callback or as a consumer message with RD_KAFKA_RESP_ERR__FATAL (a fenced static member).
  void report_fatal(rd_kafka_t* client, const char* reason) {
    if (is_fatal_reported) return;
    is_fatal_reported = true;
    char cause[512];
    const auto code = rd_kafka_fatal_error(client, cause, sizeof cause);
    std::string why = std::string(rd_kafka_err2name(code)) + ": " + (code ? cause : reason);
    log::error("kafka consumer fatal error", {{"reason", why}});
    boost::asio::post(ex, [keep = shared_from_this(), why = std::move(why)]() mutable {
      if (keep->h.on_fatal) keep->h.on_fatal(std::move(why));
    });
  }

  // librdkafka counts an application that has not polled for max.poll.interval.ms as stuck and
  // takes its partitions away, even when it is idle (nothing fetched, partitions paused until a
  // retry envelope is due): poll at least once a second whatever the queue's wake-ups say.
  void arm_keepalive() {
    keepalive->expires_after(std::chrono::seconds(1));
    keepalive->async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
      if (ec || self->is_closed) return;
      if (!self->is_drain_posted) self->drain();
      self->arm_keepalive();
    });
  }

  // The record's headers as views into librdkafka's copy (valid while the message is), in a
  // buffer kept for the next record: a record without headers costs one check, no allocation.
  std::vector<header> header_views;
  std::span<const header> headers_of(rd_kafka_message_t* m) {
    header_views.clear();
    rd_kafka_headers_t* hdrs = nullptr;
    if (rd_kafka_message_headers(m, &hdrs) != RD_KAFKA_RESP_ERR_NO_ERROR) return {};
    const char* name = nullptr;
    const void* value = nullptr;
    size_t size = 0;
    for (size_t i = 0; rd_kafka_header_get_all(hdrs, i, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR; ++i)
      header_views.push_back({name, value ? std::string_view(static_cast<const char*>(value), size) : std::string_view()});
    return header_views;
  }

  void deliver(rd_kafka_message_t* m) {
    if (m->err) {
      if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) return;
      const char* topic = m->rkt ? rd_kafka_topic_name(m->rkt) : "";
      if (!m->rkt || !is_record_error(m->err, m->partition, m->offset)) {
        // An error of the client or of a partition, not of one record: nothing to settle.
        log::warn("kafka consume error", {{"topic", topic}, {"partition", m->partition}, {"offset", m->offset},
                                          {"code", rd_kafka_err2name(m->err)}, {"error", rd_kafka_message_errstr(m)}});
        if (h.on_error) h.on_error(rd_kafka_message_errstr(m));
        if (m->err == RD_KAFKA_RESP_ERR__FATAL) report_fatal(rk, rd_kafka_message_errstr(m));
        return;
      }
      // A record that could not be read still has its place in the partition: it is handed on
      // with the error, and gets an `invalid` outcome like any record that is not an event.
      log::warn("kafka record could not be read", {{"topic", topic}, {"partition", m->partition},
                                                   {"offset", m->offset}, {"error", rd_kafka_message_errstr(m)}});
    }
    message_view v;
    v.topic = rd_kafka_topic_name(m->rkt);
    v.partition = m->partition;
    v.offset = m->offset;
    if (m->err) v.error = rd_kafka_message_errstr(m);
    v.is_key_null = m->key == nullptr;
    // An error message's payload is librdkafka's error text, not the record's value.
    v.is_payload_null = m->err || m->payload == nullptr;
    if (!v.is_key_null) v.key = std::string_view(static_cast<const char*>(m->key), m->key_len);
    if (!v.is_payload_null) v.payload = std::string_view(static_cast<const char*>(m->payload), m->len);
    rd_kafka_timestamp_type_t tstype;
    v.timestamp_ms = rd_kafka_message_timestamp(m, &tstype);
    if (!m->err) v.headers = headers_of(m);
    h.on_message(v);
  }

  void drain() {
    is_drain_posted = false;
    // Messages are taken a slice at a time: one queue lock per slice instead of one per message
    // (rd_kafka_consumer_poll). The slice also serves rebalance callbacks and counts as a poll for
    // max.poll.interval.ms. A slice taken is handled whole, even if the gate closes meanwhile:
    // the in-flight bound may be passed by up to one slice.
    constexpr int slice = 256;
    rd_kafka_message_t* got[slice];
    for (int handled = 0; handled < poll_budget && !is_closed && !is_gated;) {
      const ssize_t n = rd_kafka_consume_batch_queue(queue, 0, got, slice);
      if (n < slice) wake_fetcher();  // the queue is empty now
      if (n <= 0) return;
      for (ssize_t i = 0; i < n; ++i) {
        if (!is_closed) deliver(got[i]);
        rd_kafka_message_destroy(got[i]);
      }
      handled += static_cast<int>(n);
    }
    // Budget used up: the queue may still hold messages, and librdkafka will not wake us again
    // for them, so continue after letting other handlers run.
    if (!is_closed && !is_gated && !is_drain_posted) {
      is_drain_posted = true;
      boost::asio::post(ex, [self = shared_from_this()] {
        if (!self->is_closed) self->drain();
      });
    }
  }
};

consumer::consumer(boost::asio::any_io_executor ex, const config::kafka_config& cfg, handlers h)
    : impl_(std::make_shared<impl>()) {
  impl_->ex = ex;
  impl_->h = std::move(h);
  impl_->topics = cfg.topics;
  impl_->is_transactional = cfg.transactions;
  // Events that wait (docs/retries.md) come back through these; the same group consumes them.
  for (const auto* t : {&cfg.retry_topic, &cfg.delay_topic})
    if (!t->empty()) impl_->topics.push_back(*t);
  rd_kafka_conf_t* conf = detail::make_conf(
      {{"bootstrap.servers", cfg.brokers},
       {"group.id", cfg.group_id},
       {"client.id", cfg.client_id},
       {"partition.assignment.strategy", "cooperative-sticky"},
       // With transactions the producer commits offsets with the records that settle them.
       {"enable.auto.commit", cfg.transactions ? "false" : "true"},
       // Herald consumes its own retry and delay topics: a record of an aborted transaction
       // (a retry envelope) must never be read back.
       {"isolation.level", "read_committed"},
       {"auto.commit.interval.ms", std::to_string(cfg.commit_interval_ms)},
       // Offsets are stored by Herald only once an event is settled (watermark), never on poll.
       {"enable.auto.offset.store", "false"},
       {"auto.offset.reset", "earliest"},
       {"session.timeout.ms", std::to_string(cfg.session_timeout_ms)},
       {"enable.partition.eof", "false"},
       // The high-level consumer's whole prefetch queue, not per partition. With the fetcher
       // woken as soon as Herald empties it (impl::wake_fetcher), 2 MB keeps it from running dry;
       // a fetch may overshoot it by max.partition.fetch.bytes per partition, and fetch buffers
       // live until their last message is taken, so both are peak memory. 1M-event runs: 3 MB
       // with the default 1 MB per partition 99.9k events/s at 143 MB, 2 MB with 256 KB 95-99k
       // at 126-128 MB, 1 MB with 128 KB 95.9k at 113 MB (bench/README.md).
       {"queued.max.messages.kbytes", "2048"},
       {"max.partition.fetch.bytes", "262144"},
       // librdkafka 2.0 backs a partition's fetches off for this long whenever its prefetch queue
       // is full, as after an error (default 500 ms): with the in-flight bound holding the queue
       // full, that idled the consumer for half-seconds (bench/README.md). Fetch again soon.
       {"fetch.error.backoff.ms", "20"},
       // A partition's first fetch after an assignment (start-up, rebalance) is not answered
       // early when data arrives: its events waited the whole fetch.wait.max.ms (default 500 ms),
       // the p99 of a fixed-rate run (bench/README.md). An idle consumer asks 10 times a second.
       {"fetch.wait.max.ms", "100"}},
      cfg.consumer_properties);
  // The fetcher's own wake-up where librdkafka has it (2.2 and later), Herald's otherwise (impl).
  constexpr int first_with_queue_backoff = 0x020200ff;
  if (rd_kafka_version() >= first_with_queue_backoff) {
    if (!cfg.consumer_properties.contains("fetch.queue.backoff.ms")) {
      char err[256];
      if (rd_kafka_conf_set(conf, "fetch.queue.backoff.ms", "5", err, sizeof err) != RD_KAFKA_CONF_OK)
        log::warn("kafka fetch.queue.backoff.ms not set: the consumer may fetch once a second when its queue is full",
                  {{"error", err}});
    }
  } else {
    impl_->needs_fetch_wakeup = true;
    // The same credentials again (consumer_properties is their only source): SASL/PLAIN and SCRAM
    // keep authenticating as configured, other mechanisms do not read them.
    auto configured = [&cfg](const char* name) {
      auto it = cfg.consumer_properties.find(name);
      return it == cfg.consumer_properties.end() ? std::string() : it->second;
    };
    impl_->sasl_username = configured("sasl.username");
    impl_->sasl_password = configured("sasl.password");
  }
  rd_kafka_conf_set_opaque(conf, impl_.get());
  rd_kafka_conf_set_rebalance_cb(conf, &impl::rebalance_cb);
  rd_kafka_conf_set_error_cb(conf, &impl::error_cb);
  if (impl_->h.on_statistics) {
    // The consumer-lag metric (docs/operations.md, Metrics): every 5 s unless configured.
    if (!cfg.consumer_properties.contains("statistics.interval.ms")) {
      char stats_err[256];
      if (rd_kafka_conf_set(conf, "statistics.interval.ms", "5000", stats_err, sizeof stats_err) != RD_KAFKA_CONF_OK)
        log::warn("kafka statistics.interval.ms not set: no consumer lag metric", {{"error", stats_err}});
    }
    rd_kafka_conf_set_stats_cb(conf, &impl::stats_cb);
  }
  char err[512];
  impl_->rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
  if (!impl_->rk) {
    rd_kafka_conf_destroy(conf);
    throw std::runtime_error(std::string("kafka consumer: ") + err);
  }
  rd_kafka_poll_set_consumer(impl_->rk);
  impl_->queue = rd_kafka_queue_get_consumer(impl_->rk);
  impl_->waker = std::make_unique<detail::queue_waker>(ex, impl_->queue);
}

consumer::~consumer() {
  if (!impl_->is_closed) close();
}

void consumer::start() {
  auto* subs = rd_kafka_topic_partition_list_new(static_cast<int>(impl_->topics.size()));
  for (const auto& t : impl_->topics) rd_kafka_topic_partition_list_add(subs, t.c_str(), RD_KAFKA_PARTITION_UA);
  rd_kafka_resp_err_t err = rd_kafka_subscribe(impl_->rk, subs);
  rd_kafka_topic_partition_list_destroy(subs);
  if (err) throw std::runtime_error(std::string("kafka subscribe: ") + rd_kafka_err2str(err));
  impl_->waker->start([self = impl_.get()] { self->drain(); });
  impl_->keepalive = std::make_unique<boost::asio::steady_timer>(impl_->ex);
  impl_->arm_keepalive();
}

void consumer::set_gated(bool gated) {
  if (impl_->is_gated == gated) return;
  impl_->is_gated = gated;
  // The queue may hold messages already: librdkafka only wakes us when it becomes non-empty.
  if (!gated && !impl_->is_closed && !impl_->is_drain_posted) {
    impl_->is_drain_posted = true;
    boost::asio::post(impl_->ex, [self = impl_] {
      if (!self->is_closed) self->drain();
    });
  }
}

void consumer::pause(const topic_partition& tp) {
  tp_list l;
  rd_kafka_topic_partition_list_add(l.list, tp.topic.c_str(), tp.partition);
  rd_kafka_pause_partitions(impl_->rk, l.list);
}

void consumer::resume(const topic_partition& tp) {
  tp_list l;
  rd_kafka_topic_partition_list_add(l.list, tp.topic.c_str(), tp.partition);
  rd_kafka_resume_partitions(impl_->rk, l.list);
}

void consumer::seek(const topic_partition& tp, std::int64_t offset) {
  tp_list l;
  rd_kafka_topic_partition_list_add(l.list, tp.topic.c_str(), tp.partition)->offset = offset;
  // Asynchronous (timeout 0): the fetcher starts from here once the partition is resumed.
  if (rd_kafka_error_t* e = rd_kafka_seek_partitions(impl_->rk, l.list, 0)) {
    log::warn("kafka seek failed", {{"topic", tp.topic}, {"partition", tp.partition}, {"error", rd_kafka_error_string(e)}});
    rd_kafka_error_destroy(e);
  }
}

void consumer::store_offset(const topic_partition& tp, std::int64_t next_offset) {
  if (impl_->is_transactional) return;
  tp_list l;
  rd_kafka_topic_partition_list_add(l.list, tp.topic.c_str(), tp.partition)->offset = next_offset;
  rd_kafka_resp_err_t err = rd_kafka_offsets_store(impl_->rk, l.list);
  if (err == RD_KAFKA_RESP_ERR_NO_ERROR) err = l.list->elems[0].err;
  // A partition revoked a moment ago refuses the store: its next owner redelivers from the last
  // commit, and the ledger turns the redelivery into a duplicate, never a second send.
  if (err) log::debug("kafka offset store refused", {{"topic", tp.topic}, {"partition", tp.partition},
                                                     {"error", rd_kafka_err2str(err)}});
}

void consumer::commit_now() {
  if (impl_->is_transactional) return;
  rd_kafka_resp_err_t err = rd_kafka_commit(impl_->rk, nullptr, 0);
  if (err && err != RD_KAFKA_RESP_ERR__NO_OFFSET)
    log::warn("kafka commit failed", {{"error", rd_kafka_err2str(err)}});
}

std::shared_ptr<void> consumer::group_metadata() const {
  return std::shared_ptr<void>(rd_kafka_consumer_group_metadata(impl_->rk), [](void* md) {
    rd_kafka_consumer_group_metadata_destroy(static_cast<rd_kafka_consumer_group_metadata_t*>(md));
  });
}

void consumer::close() {
  if (impl_->is_closed) return;
  if (impl_->keepalive) impl_->keepalive->cancel();
  impl_->waker->stop();
  commit_now();
  // rd_kafka_consumer_close serves the final revoke through the rebalance callback.
  rd_kafka_consumer_close(impl_->rk);
  impl_->is_closed = true;
}

}  // namespace herald::kafka
