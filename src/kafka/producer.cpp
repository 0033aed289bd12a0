#include "herald/kafka/producer.hpp"

#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <map>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

#include "herald/kafka/consumer.hpp"
#include "herald/kafka/credentials_refusal.hpp"
#include "herald/kafka/produce_error.hpp"
#include "herald/kafka/transaction_book.hpp"
#include "herald/kafka/transactional_id.hpp"
#include "herald/util/log.hpp"
#include "queue_waker.hpp"

namespace herald::kafka {
namespace {

// A message librdkafka could not take yet (its queue was full, or it failed transiently); a copy,
// produced again after the next reports or its backoff. (The idempotent producer's.)
struct pending {
  std::string topic, key, value;
  std::vector<std::pair<std::string, std::string>> headers;
  delivery_target* target;
  nulls null_parts;
  std::uint32_t attempts = 0;  // transient failures so far
};

// librdkafka's default message.max.bytes.
constexpr std::size_t default_max_record_bytes = 1'000'000;

// Work for the transaction thread: each of librdkafka's transactional calls blocks.
struct txn_job {
  enum class kind { start, commit, abort } what = kind::start;
  std::vector<committed_offset> offsets;  // commit: sent with the transaction
  std::shared_ptr<void> group;            // commit: the consumer group's metadata
  std::string why;                        // abort: for the log line
};

struct txn_result {
  enum class kind { began, committed, aborted, fatal } what = kind::began;
  std::string reason;  // aborted, fatal: librdkafka's words
  rd_kafka_resp_err_t code = RD_KAFKA_RESP_ERR_NO_ERROR;  // aborted: the error that aborted it
};

std::string error_text(const rd_kafka_error_t* e) {
  return std::string(rd_kafka_error_name(e)) + ": " + rd_kafka_error_string(e);
}

}  // namespace

struct producer::impl : std::enable_shared_from_this<producer::impl> {
  rd_kafka_t* rk = nullptr;
  rd_kafka_queue_t* main_queue = nullptr;
  std::unique_ptr<detail::queue_waker> waker;
  std::deque<pending> backlog;
  std::function<void()> drained_cb;
  std::function<void(std::string)> fatal_cb;
  std::string fatal_reason;
  boost::asio::any_io_executor ex;
  boost::asio::steady_timer backlog_timer;
  // Transient failures wait here for their backoff (a handful at most: librdkafka already
  // retried them for delivery.timeout.ms), due times kept with them; one timer for the earliest.
  std::vector<std::pair<std::chrono::steady_clock::time_point, pending>> retrying;
  boost::asio::steady_timer retry_timer;
  bool is_fatal = false;
  bool has_reached_broker = false;  // a metadata request was answered, or a record delivered
  std::size_t max_record_bytes = default_max_record_bytes;
  std::uint64_t retries = 0;

  // --- Transactional mode (all on the io thread, except the txn_* members) ----------------
  bool is_txn = false;
  std::string txn_id;
  std::chrono::milliseconds txn_interval{100};
  transaction_book book;
  std::function<std::vector<committed_offset>()> offsets_now;
  consumer* group_source = nullptr;
  // The offsets the last commits wrote, so that a commit point only sends what moved.
  std::map<topic_partition, std::pair<std::int64_t, std::string>> committed_offsets;
  std::vector<committed_offset> ending_offsets;  // sent with the transaction being ended
  boost::asio::steady_timer commit_timer;
  // Aborts in a row: producing again waits produce_retry_delay_ms of it (a broker refusing every
  // transaction must not be asked ten times a second).
  std::uint32_t aborts_in_a_row = 0;
  boost::asio::steady_timer again_timer;
  std::uint64_t committed_count = 0, aborted_count = 0;
  std::vector<txn_record> dropped_now;  // their targets hear `dropped` from a posted handler
  bool is_shut_down = false;
  // The transaction thread and what passes between it and the io thread.
  std::thread txn_thread;
  std::mutex txn_mutex;
  std::condition_variable txn_cv;
  std::deque<txn_job> txn_jobs;
  std::deque<txn_result> txn_results;
  bool txn_stopping = false;
  std::atomic<bool> txn_busy{false};

  explicit impl(boost::asio::any_io_executor ex_)
      : ex(ex_), backlog_timer(ex_), retry_timer(ex_), commit_timer(ex_), again_timer(ex_) {}

  ~impl() {
    shut_down();
    waker.reset();
    if (main_queue) rd_kafka_queue_destroy(main_queue);
    for (const auto& [n, t] : topics) rd_kafka_topic_destroy(t);
    if (rk) rd_kafka_destroy(rk);
  }

  // Served by rd_kafka_poll, on the io thread.
  static void dr_cb(rd_kafka_t*, const rd_kafka_message_t* m, void* opaque) {
    auto* self = static_cast<impl*>(opaque);
    auto* target = static_cast<delivery_target*>(m->_private);
    if (!target) return;
    const std::string_view topic = rd_kafka_topic_name(m->rkt);
    if (!m->err) {
      self->has_reached_broker = true;
      target->on_delivery({true, produce_error::transient, {}, topic});
      return;
    }
    const produce_error kind = self->is_fatal ? produce_error::fatal : classify_produce_error(m->err);
    if (kind != produce_error::transient) {
      target->on_delivery({false, kind, rd_kafka_err2str(m->err), topic});
      return;
    }
    // librdkafka gave up on it (delivery.timeout.ms): a copy waits for its backoff. The message's
    // bytes die with this report; a borrowed value is still its owner's, but one copy on this rare
    // path keeps every retry alike.
    pending p{std::string(topic), {}, {}, {}, target, {m->key == nullptr, m->payload == nullptr}, 1};
    if (m->key) p.key.assign(static_cast<const char*>(m->key), m->key_len);
    if (m->payload) p.value.assign(static_cast<const char*>(m->payload), m->len);
    rd_kafka_headers_t* hdrs = nullptr;
    if (rd_kafka_message_headers(m, &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR) {
      const char* name;
      const void* val;
      size_t size;
      for (size_t i = 0; rd_kafka_header_get_all(hdrs, i, &name, &val, &size) == RD_KAFKA_RESP_ERR_NO_ERROR; ++i)
        p.headers.emplace_back(name, std::string(static_cast<const char*>(val), size));
    }
    self->retry_later(std::move(p), rd_kafka_err2str(m->err));
  }

  static void error_cb(rd_kafka_t* rk, int err, const char* reason, void* opaque) {
    auto* self = static_cast<impl*>(opaque);
    if (err == RD_KAFKA_RESP_ERR__FATAL) {
      char buf[512];
      rd_kafka_fatal_error(rk, buf, sizeof buf);
      self->set_fatal(buf);
      return;
    }
    self->on_error(static_cast<rd_kafka_resp_err_t>(err), reason);
  }

  // A non-fatal error. Credentials refused before any broker has answered are a deployment error
  // (a wrong sasl.password, username or mechanism) that librdkafka would retry forever while the
  // worker waited, unready for no visible reason: the producer stops on it instead. Once a broker
  // has answered, a refusal (a password rotated under a running pod) is only logged.
  void on_error(rd_kafka_resp_err_t err, const char* reason) {
    if (err == RD_KAFKA_RESP_ERR__AUTHENTICATION && !has_reached_broker && is_credentials_refusal(reason)) {
      set_fatal(std::string("the brokers refused Herald's credentials (kafka producer_properties: "
                            "security.protocol, sasl.mechanisms, sasl.username, sasl.password): ") +
                reason);
      return;
    }
    log::warn("kafka producer error", {{"code", rd_kafka_err2name(err)}, {"reason", reason}});
  }

  // On the io thread: the producer cannot go on (fenced, idempotence broken, refused setup).
  void set_fatal(std::string reason) {
    log::error("kafka producer fatal error", {{"reason", reason}});
    if (is_fatal) return;
    is_fatal = true;
    if (is_txn) {
      // A transaction whose partitions could not be added (a topic deleted or forbidden) is not
      // known to the coordinator, and librdkafka 2.0 turns its abort into a fatal INVALID_TXN_STATE
      // (librdkafka issue #4849): name the topic that caused it, as the start-up check would.
      std::vector<std::string> names;
      for (const auto& [n, t] : topics) names.push_back(n);
      for (const auto& bad : unusable_topics(names, std::chrono::milliseconds(1000))) {
        log::error("output topic cannot be written", {{"topic_and_error", bad}});
        reason += "; output topic cannot be written: " + bad;
      }
    }
    fatal_reason = reason;
    if (fatal_cb) {
      // Not from inside librdkafka's callback: the handler stops the worker.
      boost::asio::post(ex, [cb = fatal_cb, why = std::move(reason)] { cb(why); });
    }
  }

  // Topic handles by name: producing by name looks the topic up under librdkafka's lock for
  // every record. Herald writes to a handful of topics, so a short list is searched (a deque: a
  // name handed to a target stays where it is when another topic is added).
  std::deque<std::pair<std::string, rd_kafka_topic_t*>> topics;
  // The topic's number in topics; -1 when librdkafka refuses the name.
  int topic_index(std::string_view name) {
    for (std::size_t i = 0; i < topics.size(); ++i)
      if (topics[i].first == name) return static_cast<int>(i);
    rd_kafka_topic_t* t = rd_kafka_topic_new(rk, std::string(name).c_str(), nullptr);
    if (!t) return -1;
    topics.emplace_back(std::string(name), t);
    return static_cast<int>(topics.size() - 1);
  }
  rd_kafka_topic_t* topic_handle(std::string_view name) {
    const int i = topic_index(name);
    return i < 0 ? nullptr : topics[static_cast<std::size_t>(i)].second;
  }

  // Produces now, or keeps a copy in the backlog while librdkafka's queue is full.
  void enqueue(std::string_view topic, std::string_view key, std::string_view value, std::span<const header> headers,
               delivery_target* target, bool is_borrowed, nulls null_parts = {});

  // A permanent failure, reported after produce() has returned (the handler may produce again).
  void report_later(delivery_target* target, produce_error kind, std::string_view topic, const char* error) {
    boost::asio::post(ex, [target, kind, topic = std::string(topic), error = std::string(error)] {
      target->on_delivery({false, kind, error, topic});
    });
  }

  void retry_later(pending p, std::string_view error) {
    const std::int64_t delay_ms = produce_retry_delay_ms(p.attempts);
    log::warn("kafka record not delivered, producing it again after a backoff",
              {{"topic", p.topic}, {"error", error}, {"attempt", static_cast<std::int64_t>(p.attempts)},
               {"delay_ms", delay_ms}});
    ++retries;
    const auto due = std::chrono::steady_clock::now() + std::chrono::milliseconds(delay_ms);
    retrying.emplace_back(due, std::move(p));
    arm_retry_timer();
  }

  void arm_retry_timer() {
    if (retrying.empty()) return;
    auto earliest = retrying.front().first;
    for (const auto& [due, p] : retrying) earliest = std::min(earliest, due);
    retry_timer.expires_at(earliest);
    retry_timer.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
      if (!ec) self->retry_due();
    });
  }

  void retry_due() {
    const auto now = std::chrono::steady_clock::now();
    std::vector<pending> due;
    for (auto it = retrying.begin(); it != retrying.end();) {
      if (it->first <= now) {
        due.push_back(std::move(it->second));
        it = retrying.erase(it);
      } else {
        ++it;
      }
    }
    for (auto& p : due) {
      std::vector<header> hs;
      for (const auto& [n, v] : p.headers) hs.push_back({n, v});
      if (!backlog.empty() || !try_produce(p.topic, p.key, p.value, hs, p.target, false, p.null_parts, p.attempts)) {
        backlog.push_back(std::move(p));
        if (backlog.size() == 1) retry_backlog();
      }
    }
    arm_retry_timer();
  }

  // Returns false when librdkafka's queue is full. Any other failure is reported later (permanent)
  // or produced again after its backoff (transient): never from inside this call.
  bool try_produce(std::string_view topic, std::string_view key, std::string_view value,
                   std::span<const header> headers, delivery_target* target, bool is_borrowed,
                   nulls null_parts = {}, std::uint32_t attempts = 0) {
    rd_kafka_headers_t* hdrs = nullptr;
    if (!headers.empty()) {
      hdrs = rd_kafka_headers_new(headers.size());
      for (const auto& h : headers)
        rd_kafka_header_add(hdrs, h.name.data(), static_cast<ssize_t>(h.name.size()), h.value.data(),
                            static_cast<ssize_t>(h.value.size()));
    }
    rd_kafka_topic_t* rkt = topic_handle(topic);
    if (!rkt) {
      if (hdrs) rd_kafka_headers_destroy(hdrs);
      // An invalid topic name (or configuration): no record can ever go there.
      report_later(target, produce_error::topic_unusable, topic, rd_kafka_err2str(rd_kafka_last_error()));
      return true;
    }
    // A null key or value is a null pointer to librdkafka (and to Kafka), not zero bytes.
    char* key_ptr = null_parts.key ? nullptr : const_cast<char*>(key.data());
    char* value_ptr = null_parts.value ? nullptr : const_cast<char*>(value.data());
    rd_kafka_resp_err_t err = rd_kafka_producev(
        rk, RD_KAFKA_V_RKT(rkt), RD_KAFKA_V_MSGFLAGS(is_borrowed ? 0 : RD_KAFKA_MSG_F_COPY),
        RD_KAFKA_V_KEY(key_ptr, null_parts.key ? 0 : key.size()),
        RD_KAFKA_V_VALUE(value_ptr, null_parts.value ? 0 : value.size()), RD_KAFKA_V_HEADERS(hdrs),
        RD_KAFKA_V_OPAQUE(target), RD_KAFKA_V_END);
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) return true;  // librdkafka owns hdrs now
    if (hdrs) rd_kafka_headers_destroy(hdrs);
    if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) return false;
    const produce_error kind = is_fatal ? produce_error::fatal : classify_produce_error(err);
    if (kind != produce_error::transient) {
      // Unknown topic, record too large, fatal: waiting cannot mend it. Reported after this call
      // has returned, so that a handler producing again never recurses into it.
      report_later(target, kind, topic, rd_kafka_err2str(err));
      return true;
    }
    pending p{std::string(topic), std::string(key), std::string(value), {}, target, null_parts, attempts + 1};
    for (const auto& h : headers) p.headers.emplace_back(h.name, h.value);
    retry_later(std::move(p), rd_kafka_err2str(err));
    return true;
  }

  void drain() {
    if (is_txn) {
      serve_events(0);
      produce_waiting();
    } else {
      rd_kafka_poll(rk, 0);
      retry_backlog();
    }
    if (drained_cb) drained_cb();
  }

  void retry_backlog() {
    while (!backlog.empty()) {
      auto& p = backlog.front();
      std::vector<header> hs;
      for (const auto& [n, v] : p.headers) hs.push_back({n, v});
      if (!try_produce(p.topic, p.key, p.value, hs, p.target, false, p.null_parts, p.attempts)) break;
      backlog.pop_front();
    }
    if (!backlog.empty()) {
      // Delivery reports free room in librdkafka's queue; look again shortly in any case.
      backlog_timer.expires_after(std::chrono::milliseconds(5));
      backlog_timer.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
        if (!ec) self->drain();
      });
    }
  }

  // --- Transactional mode: the io thread's side --------------------------------------------

  void enqueue_txn(std::string_view topic, std::string_view key, std::string_view value,
                   std::span<const header> headers, delivery_target* target, bool is_borrowed, nulls null_parts,
                   source_tag source) {
    // An invalid topic name has no number: the record fails when produced (after an abort, like
    // every record failure in a transaction), with the largest number, which names no topic.
    const int t = topic_index(topic);
    txn_record r = make_txn_record(t < 0 ? 0xffffffffu : static_cast<std::uint32_t>(t), key, value, headers, target,
                                   null_parts, source, is_borrowed);
    if (auto s = book.add(std::move(r))) produce_slot(*s);
  }

  // Gives the record to librdkafka without a copy (its bytes live until its transaction ended,
  // and librdkafka's messages end before). Returns false when librdkafka's queue is full: the
  // record waits again, and is produced after the next delivery reports or shortly.
  bool produce_slot(transaction_book::slot s) {
    txn_record& r = *book.find(s);
    if (r.topic >= topics.size()) {
      book.on_report(s, record_state::failed, produce_error::topic_unusable, "invalid topic name");
      return true;
    }
    rd_kafka_headers_t* hdrs = nullptr;
    if (r.header_count) {
      hdrs = rd_kafka_headers_new(r.header_count);
      r.for_each_header([&](std::string_view n, std::string_view v) {
        rd_kafka_header_add(hdrs, n.data(), static_cast<ssize_t>(n.size()), v.data(), static_cast<ssize_t>(v.size()));
      });
    }
    const std::string_view key = r.key(), value = r.value();
    // A null key or value is a null pointer to librdkafka; an empty one must not be.
    char* key_ptr = r.null_parts.key ? nullptr : const_cast<char*>(key.empty() ? "" : key.data());
    char* value_ptr = r.null_parts.value ? nullptr : const_cast<char*>(value.empty() ? "" : value.data());
    rd_kafka_resp_err_t err = rd_kafka_producev(
        rk, RD_KAFKA_V_RKT(topics[r.topic].second), RD_KAFKA_V_MSGFLAGS(0),
        RD_KAFKA_V_KEY(key_ptr, r.null_parts.key ? 0 : key.size()),
        RD_KAFKA_V_VALUE(value_ptr, r.null_parts.value ? 0 : value.size()), RD_KAFKA_V_HEADERS(hdrs),
        RD_KAFKA_V_OPAQUE(reinterpret_cast<void*>(static_cast<std::uintptr_t>(s))), RD_KAFKA_V_END);
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) return true;
    if (hdrs) rd_kafka_headers_destroy(hdrs);
    if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
      book.unopen_last();
      arm_waiting_timer();
      return false;
    }
    mark_report(s, err, "produce refused the record");
    return true;
  }

  // What librdkafka said of a record, into the book. A record no retry can deliver fails; any
  // other error (purged by an abort, timed out, refused in the transaction's state) has it
  // produced again in the next transaction, this one being aborted.
  void mark_report(transaction_book::slot s, rd_kafka_resp_err_t err, const char* what) {
    const produce_error kind = classify_produce_error(err);
    const bool is_permanent = kind == produce_error::record_too_large || kind == produce_error::topic_unusable;
    const bool is_purge = err == RD_KAFKA_RESP_ERR__PURGE_QUEUE || err == RD_KAFKA_RESP_ERR__PURGE_INFLIGHT;
    if (!is_purge) {
      const txn_record* r = book.find(s);
      log::warn(what, {{"topic", r && r->topic < topics.size() ? std::string_view(topics[r->topic].first) : ""},
                       {"code", rd_kafka_err2name(err)},
                       {"error", rd_kafka_err2str(err)},
                       {"outcome", is_permanent ? "fails after the abort" : "produced again in the next transaction"}});
    }
    if (!book.on_report(s, is_permanent ? record_state::failed : record_state::retry, kind, rd_kafka_err2str(err)))
      log::warn("kafka delivery report for no record of an open transaction", {{"code", rd_kafka_err2name(err)}});
  }

  void arm_waiting_timer() {
    backlog_timer.expires_after(std::chrono::milliseconds(5));
    backlog_timer.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
      if (!ec && !self->is_shut_down) self->drain();
    });
  }

  void produce_waiting() {
    if (again_timer_armed) return;
    while (auto s = book.open_next_waiting())
      if (!produce_slot(*s)) break;
  }
  bool again_timer_armed = false;

  // Delivery reports (and errors) arrive as events on the main queue: commit_transaction's flush
  // waits for them to be served, so the io thread serves them, never the transaction thread.
  void serve_events(int timeout_ms) {
    while (rd_kafka_event_t* ev = rd_kafka_queue_poll(main_queue, timeout_ms)) {
      timeout_ms = 0;
      switch (rd_kafka_event_type(ev)) {
        case RD_KAFKA_EVENT_DR: {
          while (const rd_kafka_message_t* m = rd_kafka_event_message_next(ev)) {
            const auto s = static_cast<transaction_book::slot>(reinterpret_cast<std::uintptr_t>(m->_private));
            if (!m->err) {
              has_reached_broker = true;
              if (!book.on_report(s, record_state::delivered))
                log::warn("kafka delivery report for no record of an open transaction", {});
            } else {
              mark_report(s, m->err, "kafka record not delivered in its transaction");
            }
          }
          break;
        }
        case RD_KAFKA_EVENT_ERROR:
          if (rd_kafka_event_error_is_fatal(ev)) {
            char buf[512];
            rd_kafka_fatal_error(rk, buf, sizeof buf);
            set_fatal(buf);
          } else {
            on_error(rd_kafka_event_error(ev), rd_kafka_event_error_string(ev));
          }
          break;
        default:
          break;
      }
      rd_kafka_event_destroy(ev);
    }
  }

  void arm_commit_timer(std::chrono::milliseconds after) {
    commit_timer.expires_after(after);
    commit_timer.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
      if (!ec && !self->is_shut_down) self->commit_point();
    });
  }

  // The consumed offsets to commit now: offsets_now() less those the last commits wrote already.
  std::vector<committed_offset> offsets_to_commit() {
    if (!offsets_now) return {};
    std::vector<committed_offset> all = offsets_now();
    std::erase_if(all, [&](const committed_offset& o) {
      auto it = committed_offsets.find(o.tp);
      return it != committed_offsets.end() && it->second.first == o.next_offset && it->second.second == o.metadata;
    });
    return all;
  }

  // Returns whether a transaction is being ended now.
  bool try_end_transaction() {
    if (is_fatal || !book.is_open() || again_timer_armed) return false;
    produce_waiting();
    // Records given before this point wait still (librdkafka's queue is full): the offsets
    // would settle records that are not in the transaction. Try again shortly.
    if (book.has_waiting()) return false;
    txn_job job;
    if (book.must_abort_open()) {
      job.what = txn_job::kind::abort;
      job.why = "a record of the transaction failed, was refused or its source was dropped";
    } else {
      job.what = txn_job::kind::commit;
      job.offsets = offsets_to_commit();
      if (book.open_size() == 0 && job.offsets.empty()) return false;
      if (!job.offsets.empty()) {
        if (group_source) {
          job.group = group_source->group_metadata();
        } else {
          log::error("kafka transaction has offsets but no consumer group to commit them in", {});
          job.offsets.clear();
          if (book.open_size() == 0) return false;
        }
      }
      ending_offsets = job.offsets;
    }
    book.end_open();
    post_job(std::move(job));
    return true;
  }

  void commit_point() {
    if (is_fatal) return;
    if (!book.is_open()) return;  // starting or ending: the result arms the next point
    if (try_end_transaction()) return;
    arm_commit_timer(book.has_waiting() ? std::chrono::milliseconds(5) : txn_interval);
  }

  void post_job(txn_job job) {
    {
      std::lock_guard lock(txn_mutex);
      txn_jobs.push_back(std::move(job));
    }
    txn_cv.notify_all();
  }

  // Results of the transaction thread, on the io thread (posted, or from flush()).
  void handle_results() {
    std::deque<txn_result> got;
    {
      std::lock_guard lock(txn_mutex);
      got.swap(txn_results);
    }
    for (auto& r : got) handle_result(r);
  }

  void handle_result(txn_result& r) {
    switch (r.what) {
      case txn_result::kind::fatal:
        set_fatal(r.reason);
        return;
      case txn_result::kind::began:
        log::info("kafka transactional producer ready", {{"transactional_id", txn_id}});
        break;
      case txn_result::kind::committed:
        ++committed_count;
        aborts_in_a_row = 0;
        for (const auto& o : ending_offsets) committed_offsets[o.tp] = {o.next_offset, o.metadata};
        ending_offsets.clear();
        book.committed([&](txn_record& rec) { hear(rec); });
        break;
      case txn_result::kind::aborted: {
        ++aborted_count;
        ++aborts_in_a_row;
        ending_offsets.clear();
        // A topic deleted under a running producer often shows only as records timing out, the
        // transaction's partitions never added: after a second such abort its topics are looked up.
        const bool is_timeout = r.code == RD_KAFKA_RESP_ERR__TIMED_OUT || r.code == RD_KAFKA_RESP_ERR__MSG_TIMED_OUT;
        if (classify_produce_error(r.code) == produce_error::topic_unusable || (is_timeout && aborts_in_a_row >= 2))
          fail_unusable_topics();
        const std::size_t again = book.ending_size();
        book.aborted([&](txn_record& rec) { hear(rec); });
        const std::size_t produced_again = book.waiting_size();
        retries += std::min(again, produced_again);
        log::warn("kafka transaction aborted, its records are produced again in the next one",
                  {{"reason", r.reason}, {"records", static_cast<std::int64_t>(again)},
                   {"aborts_in_a_row", static_cast<std::int64_t>(aborts_in_a_row)}});
        break;
      }
    }
    // The transaction thread began the next transaction after each of these.
    book.began();
    if (aborts_in_a_row > 1) {
      // The same trouble again and again (a broker refusing every transaction): wait before
      // producing again, as the idempotent producer waits before a record's next attempt.
      again_timer_armed = true;
      again_timer.expires_after(std::chrono::milliseconds(produce_retry_delay_ms(aborts_in_a_row - 1)));
      again_timer.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
        if (ec || self->is_shut_down) return;
        self->again_timer_armed = false;
        self->produce_waiting();
      });
    } else {
      produce_waiting();
    }
    arm_commit_timer(txn_interval);
  }

  // The transaction failed for a topic (its partitions could not be added: deleted, forbidden)
  // without naming it, and its records were never written, so no delivery report says which:
  // the ending transaction's topics are looked up, and the records of those that cannot be
  // written fail (their targets hear topic_unusable) instead of being produced again forever.
  void fail_unusable_topics() {
    std::vector<std::string> names;
    for (const auto& [n, t] : topics) names.push_back(n);
    std::vector<std::string> bad = unusable_topics(names, std::chrono::milliseconds(1000));
    if (bad.empty()) return;
    book.fail_ending(
        [&](const txn_record& rec) -> std::string_view {
          if (rec.topic >= topics.size()) return {};
          const std::string& name = topics[rec.topic].first;
          for (const auto& b : bad)
            if (b.size() > name.size() + 1 && b.compare(0, name.size(), name) == 0 && b[name.size()] == ':') return b;
          return {};
        },
        produce_error::topic_unusable);
  }

  // A record's target hears what became of it (its transaction ended).
  void hear(txn_record& r) {
    if (!r.target) return;
    const std::string_view topic = r.topic < topics.size() ? std::string_view(topics[r.topic].first) : "";
    switch (r.state) {
      case record_state::delivered: r.target->on_delivery({true, produce_error::transient, {}, topic}); break;
      case record_state::failed: r.target->on_delivery({false, r.kind, r.error, topic}); break;
      case record_state::dropped:
        r.target->on_delivery({false, produce_error::dropped, "its source partition was revoked", topic});
        break;
      default: break;
    }
  }

  void deliver_dropped() {
    std::vector<txn_record> now;
    now.swap(dropped_now);
    for (auto& r : now) hear(r);
  }

  // --- Transactional mode: the transaction thread ------------------------------------------

  // A weak reference: the thread never keeps the producer alive (it is joined in shut_down()).
  void post_result(txn_result r) {
    {
      std::lock_guard lock(txn_mutex);
      txn_results.push_back(std::move(r));
    }
    boost::asio::post(ex, [w = weak_from_this()] {
      if (auto self = w.lock(); self && !self->is_shut_down) self->handle_results();
    });
  }

  bool stopping() {
    std::lock_guard lock(txn_mutex);
    return txn_stopping;
  }

  // Waits before a retriable call again; false when the producer is being shut down.
  bool pause_before_retry(std::uint32_t attempt) {
    std::unique_lock lock(txn_mutex);
    const auto d = std::chrono::milliseconds(std::min<std::int64_t>(produce_retry_delay_ms(attempt), 2000));
    return !txn_cv.wait_for(lock, d, [&] { return txn_stopping; });
  }

  void txn_loop() {
    for (;;) {
      txn_job job;
      {
        std::unique_lock lock(txn_mutex);
        txn_cv.wait(lock, [&] { return txn_stopping || !txn_jobs.empty(); });
        if (txn_stopping) return;
        job = std::move(txn_jobs.front());
        txn_jobs.pop_front();
        txn_busy = true;
      }
      txn_result r = run(job);
      if (r.what != txn_result::kind::fatal) {
        if (auto e = begin()) r = *e;
      }
      post_result(std::move(r));
      txn_busy = false;
    }
  }

  std::optional<txn_result> begin() {
    rd_kafka_error_t* e = rd_kafka_begin_transaction(rk);
    if (!e) return std::nullopt;
    txn_result r{txn_result::kind::fatal, "begin_transaction: " + error_text(e)};
    rd_kafka_error_destroy(e);
    return r;
  }

  txn_result run(txn_job& job) {
    switch (job.what) {
      case txn_job::kind::start: return start();
      case txn_job::kind::commit: return commit(job);
      case txn_job::kind::abort: return abort(job.why);
    }
    return {txn_result::kind::fatal, "unknown transaction job"};
  }

  txn_result start() {
    for (std::uint32_t attempt = 1;; ++attempt) {
      // Also waits for the broker to abort what an earlier instance with this id left open. In
      // short calls (a timed-out call is retriable and carries on where it was), so that a stop
      // (a fail-stop at start-up: brokers refusing Herald's credentials) is not held up to two
      // transaction timeouts by a call that cannot succeed.
      rd_kafka_error_t* e = rd_kafka_init_transactions(rk, 5000);
      if (!e) return {txn_result::kind::began, {}};
      const std::string why = error_text(e);
      const bool is_retriable = rd_kafka_error_is_retriable(e) && !rd_kafka_error_is_fatal(e);
      rd_kafka_error_destroy(e);
      if (!is_retriable) return {txn_result::kind::fatal, "init_transactions: " + why};
      log::warn("kafka init_transactions failed, trying again", {{"error", why}, {"attempt", static_cast<std::int64_t>(attempt)}});
      if (!pause_before_retry(attempt)) return {txn_result::kind::fatal, "stopped while starting transactions"};
    }
  }

  txn_result commit(txn_job& job) {
    if (!job.offsets.empty()) {
      rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(static_cast<int>(job.offsets.size()));
      for (const auto& o : job.offsets) {
        rd_kafka_topic_partition_t* p = rd_kafka_topic_partition_list_add(list, o.tp.topic.c_str(), o.tp.partition);
        p->offset = o.next_offset;
        if (!o.metadata.empty()) {
          // The list owns it and frees it with free().
          p->metadata = std::malloc(o.metadata.size());
          std::memcpy(p->metadata, o.metadata.data(), o.metadata.size());
          p->metadata_size = o.metadata.size();
        }
      }
      std::optional<txn_result> failed;
      for (std::uint32_t attempt = 1;; ++attempt) {
        rd_kafka_error_t* e = rd_kafka_send_offsets_to_transaction(
            rk, list, static_cast<const rd_kafka_consumer_group_metadata_t*>(job.group.get()), -1);
        if (!e) break;
        const std::string why = "send_offsets_to_transaction: " + error_text(e);
        const rd_kafka_resp_err_t code = rd_kafka_error_code(e);
        const bool is_fatal_error = rd_kafka_error_is_fatal(e);
        const bool is_retriable = rd_kafka_error_is_retriable(e) && !rd_kafka_error_txn_requires_abort(e);
        rd_kafka_error_destroy(e);
        if (is_fatal_error) {
          failed = txn_result{txn_result::kind::fatal, why};
          break;
        }
        if (!is_retriable || !pause_before_retry(attempt)) {
          failed = abort(why, code);
          break;
        }
        log::warn("kafka transaction offsets not sent, trying again", {{"error", why}});
      }
      rd_kafka_topic_partition_list_destroy(list);
      if (failed) return *failed;
    }
    for (std::uint32_t attempt = 1;; ++attempt) {
      rd_kafka_error_t* e = rd_kafka_commit_transaction(rk, -1);
      if (!e) return {txn_result::kind::committed, {}};
      const std::string why = "commit_transaction: " + error_text(e);
      const rd_kafka_resp_err_t code = rd_kafka_error_code(e);
      const bool is_fatal_error = rd_kafka_error_is_fatal(e);
      const bool is_retriable = rd_kafka_error_is_retriable(e) && !rd_kafka_error_txn_requires_abort(e);
      rd_kafka_error_destroy(e);
      if (is_fatal_error) return {txn_result::kind::fatal, why};
      if (!is_retriable || !pause_before_retry(attempt)) return abort(why, code);
      // Resumable: the same call again finishes what the last one started.
      log::warn("kafka transaction commit failed, trying again", {{"error", why}});
    }
  }

  txn_result abort(const std::string& why, rd_kafka_resp_err_t code = RD_KAFKA_RESP_ERR_NO_ERROR) {
    for (std::uint32_t attempt = 1;; ++attempt) {
      rd_kafka_error_t* e = rd_kafka_abort_transaction(rk, -1);
      if (!e) return {txn_result::kind::aborted, why, code};
      const std::string error = "abort_transaction: " + error_text(e);
      const bool is_retriable = rd_kafka_error_is_retriable(e) && !rd_kafka_error_is_fatal(e);
      rd_kafka_error_destroy(e);
      if (!is_retriable) return {txn_result::kind::fatal, error + " (after " + why + ")"};
      log::warn("kafka transaction abort failed, trying again", {{"error", error}});
      if (!pause_before_retry(attempt)) return {txn_result::kind::fatal, "stopped while aborting a transaction"};
    }
  }

  // Stops the transaction thread. A call under way may wait for delivery reports: they are
  // served here until it returns (a commit waits at most the transaction's timeout).
  void shut_down() {
    if (is_shut_down) return;
    is_shut_down = true;
    commit_timer.cancel();
    again_timer.cancel();
    if (!txn_thread.joinable()) return;
    backlog_timer.cancel();
    {
      std::lock_guard lock(txn_mutex);
      txn_stopping = true;
      txn_jobs.clear();
    }
    txn_cv.notify_all();
    while (txn_busy) serve_events(10);
    txn_thread.join();
  }

  std::size_t flush_txn(std::chrono::milliseconds timeout);
  // Start-up (warm_up) and a fatal error's diagnosis: "topic: error" of each topic that cannot be
  // written; blocks up to timeout per topic.
  std::vector<std::string> unusable_topics(std::span<const std::string> names, std::chrono::milliseconds timeout);
};

producer::producer(boost::asio::any_io_executor ex, const config::kafka_config& cfg)
    : impl_(std::make_shared<impl>(ex)) {
  impl_->is_txn = cfg.transactions;
  if (impl_->is_txn) {
    impl_->txn_id = transactional_id_for(cfg);
    impl_->txn_interval = std::chrono::milliseconds(cfg.transaction_interval_ms);
  }
  std::initializer_list<std::pair<const char*, std::string>> common{
      {"bootstrap.servers", cfg.brokers},
      {"client.id", cfg.client_id},
      {"enable.idempotence", "true"},
      {"linger.ms", "5"},
      // Outcome records are small JSON: compressing them
      // cost ~0.5 µs of CPU per event (bench/README.md).
      {"compression.type", "none"},
      {"queue.buffering.max.messages", "500000"},
      // Herald's topics are made by whoever deploys it
      // (docs/configuration.md): a broker that would create a
      // misspelt one must not hide it.
      {"allow.auto.create.topics", "false"}};
  rd_kafka_conf_t* conf = detail::make_conf(common, cfg.producer_properties);
  if (impl_->is_txn) {
    // Managed options (config/load.cpp refuses them in producer_properties). A record not
    // delivered within 15 s aborts its transaction (it is produced again in the next one): the
    // transaction itself may live longer, so that a broker restart does not get it aborted by the
    // broker, which fences the producer; a topic deleted under Herald is found within seconds.
    const std::string message_timeout = std::to_string(std::min<std::uint32_t>(15000, cfg.transaction_timeout_ms));
    char err[512];
    for (const auto& [name, value] : {std::pair<const char*, std::string>{"transactional.id", impl_->txn_id},
                                      {"transaction.timeout.ms", std::to_string(cfg.transaction_timeout_ms)},
                                      {"message.timeout.ms", message_timeout}}) {
      if (rd_kafka_conf_set(conf, name, value.c_str(), err, sizeof err) != RD_KAFKA_CONF_OK) {
        rd_kafka_conf_destroy(conf);
        throw std::runtime_error(std::string("kafka property ") + name + ": " + err);
      }
    }
    // Delivery reports as events on the main queue, served by the io thread: commit_transaction
    // (on the transaction thread) waits for them to be served, and must never serve them itself.
    rd_kafka_conf_set_events(conf, RD_KAFKA_EVENT_DR | RD_KAFKA_EVENT_ERROR);
  } else {
    rd_kafka_conf_set_dr_msg_cb(conf, &impl::dr_cb);
  }
  {
    char value[64];
    size_t size = sizeof value;
    if (rd_kafka_conf_get(conf, "message.max.bytes", value, &size) == RD_KAFKA_CONF_OK)
      impl_->max_record_bytes = static_cast<std::size_t>(std::strtoull(value, nullptr, 10));
  }
  rd_kafka_conf_set_opaque(conf, impl_.get());
  rd_kafka_conf_set_error_cb(conf, &impl::error_cb);
  char err[512];
  impl_->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
  if (!impl_->rk) {
    rd_kafka_conf_destroy(conf);
    throw std::runtime_error(std::string("kafka producer: ") + err);
  }
  impl_->main_queue = rd_kafka_queue_get_main(impl_->rk);
  impl_->waker = std::make_unique<detail::queue_waker>(ex, impl_->main_queue);
  impl_->waker->start([self = impl_.get()] { self->drain(); });
  if (impl_->is_txn) {
    log::info("kafka transactional producer starting",
              {{"transactional_id", impl_->txn_id},
               {"transaction_interval_ms", static_cast<std::int64_t>(cfg.transaction_interval_ms)},
               {"transaction_timeout_ms", static_cast<std::int64_t>(cfg.transaction_timeout_ms)}});
    impl_->txn_thread = std::thread([self = impl_.get()] { self->txn_loop(); });
    impl_->post_job({txn_job::kind::start, {}, {}, {}});
  }
}

producer::~producer() { impl_->shut_down(); }

void producer::produce(std::string_view topic, std::string_view key, std::string_view value,
                       std::span<const header> headers, delivery_target* target, nulls null_parts,
                       source_tag source) {
  if (impl_->is_txn) return impl_->enqueue_txn(topic, key, value, headers, target, false, null_parts, source);
  impl_->enqueue(topic, key, value, headers, target, false, null_parts);
}

void producer::produce_borrowed(std::string_view topic, std::string_view key, std::string_view value,
                                std::span<const header> headers, delivery_target* target, source_tag source) {
  // Saves librdkafka's copy of every outcome record (an allocation and ~400 bytes copied per
  // event). A message that has to wait in the backlog is copied there; the transactional
  // producer keeps the view (the bytes live until the target heard) and copies only the key.
  if (impl_->is_txn) return impl_->enqueue_txn(topic, key, value, headers, target, true, {}, source);
  impl_->enqueue(topic, key, value, headers, target, true);
}

void producer::impl::enqueue(std::string_view topic, std::string_view key, std::string_view value,
                             std::span<const header> headers, delivery_target* target, bool is_borrowed,
                             nulls null_parts) {
  if (backlog.empty() && try_produce(topic, key, value, headers, target, is_borrowed, null_parts)) return;
  pending p{std::string(topic), std::string(key), std::string(value), {}, target, null_parts};
  for (const auto& h : headers) p.headers.emplace_back(h.name, h.value);
  backlog.push_back(std::move(p));
  if (backlog.size() == 1) retry_backlog();
}

bool producer::is_transactional() const { return impl_->is_txn; }

void producer::on_commit_point(std::function<std::vector<committed_offset>()> offsets_now) {
  impl_->offsets_now = std::move(offsets_now);
}

void producer::use_group_metadata_of(consumer& c) { impl_->group_source = &c; }

void producer::drop_sources(std::span<const source_tag> tags) {
  if (!impl_->is_txn || tags.empty()) return;
  std::vector<txn_record> now = impl_->book.drop(tags);
  if (now.empty()) return;
  const bool is_first = impl_->dropped_now.empty();
  for (auto& r : now) impl_->dropped_now.push_back(std::move(r));
  if (is_first) {
    boost::asio::post(impl_->ex, [self = impl_] {
      if (!self->is_shut_down) self->deliver_dropped();
    });
  }
}

void producer::on_reports_drained(std::function<void()> cb) { impl_->drained_cb = std::move(cb); }

std::size_t producer::outstanding() const {
  if (impl_->is_txn) return impl_->book.size() + impl_->dropped_now.size();
  return static_cast<std::size_t>(rd_kafka_outq_len(impl_->rk)) + impl_->backlog.size() + impl_->retrying.size();
}

std::size_t producer::impl::flush_txn(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    serve_events(0);
    handle_results();
    if (!dropped_now.empty()) deliver_dropped();
    if (is_fatal) break;
    if (again_timer_armed) {
      // No waiting before producing again now: the timer cannot fire while this blocks.
      again_timer_armed = false;
      again_timer.cancel();
    }
    if (book.is_open() && !try_end_transaction() && !book.has_waiting() && book.size() == 0) break;
    if (std::chrono::steady_clock::now() >= deadline) break;
    // A commit or abort is under way, or the start: its delivery reports are served here.
    serve_events(5);
  }
  return book.size();
}

std::size_t producer::flush(std::chrono::milliseconds timeout) {
  if (impl_->is_txn) return impl_->flush_txn(timeout);
  rd_kafka_flush(impl_->rk, static_cast<int>(timeout.count()));
  impl_->drain();
  return outstanding();
}

bool producer::has_fatal_error() const { return impl_->is_fatal; }
void producer::on_fatal_error(std::function<void(std::string)> cb) {
  impl_->fatal_cb = std::move(cb);
  // A transactional start may have failed for good before the callback was given.
  if (impl_->is_fatal && impl_->fatal_cb)
    boost::asio::post(impl_->ex, [cb = impl_->fatal_cb, why = impl_->fatal_reason] { cb(why); });
}
std::size_t producer::max_record_bytes() const { return impl_->max_record_bytes; }
std::uint64_t producer::retries() const { return impl_->retries; }
const std::string& producer::transactional_id() const { return impl_->txn_id; }
std::uint64_t producer::transactions_committed() const { return impl_->committed_count; }
std::uint64_t producer::transactions_aborted() const { return impl_->aborted_count; }

std::vector<std::string> producer::warm_up(std::span<const std::string> topics, std::chrono::milliseconds timeout) {
  return impl_->unusable_topics(topics, timeout);
}

std::vector<std::string> producer::impl::unusable_topics(std::span<const std::string> names,
                                                         std::chrono::milliseconds timeout) {
  std::vector<std::string> unusable;
  for (const auto& name : names) {
    if (name.empty()) continue;
    // The handle is the one produce() uses afterwards.
    rd_kafka_topic_t* rkt = topic_handle(name);
    if (!rkt) {
      unusable.push_back(name + ": " + rd_kafka_err2str(rd_kafka_last_error()));
      continue;
    }
    const rd_kafka_metadata_t* md = nullptr;
    rd_kafka_resp_err_t err = rd_kafka_metadata(rk, 0, rkt, &md, static_cast<int>(timeout.count()));
    // A topic created a moment ago is unknown to the broker answering until its metadata has
    // spread: asked again for up to the timeout before it counts as missing.
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!err && md->topic_cnt == 1 && md->topics[0].err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART &&
           std::chrono::steady_clock::now() + std::chrono::milliseconds(200) < deadline) {
      rd_kafka_metadata_destroy(md);
      md = nullptr;
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      err = rd_kafka_metadata(rk, 0, rkt, &md, static_cast<int>(timeout.count()));
    }
    if (!err) has_reached_broker = true;
    if (err) {
      // No broker answered in time: nothing is known about the topic yet, produce() finds out.
      log::warn("kafka topic metadata not available yet", {{"topic", name}, {"error", rd_kafka_err2str(err)}});
      // Nor would one answer for the next topics while none ever has (brokers down, credentials
      // refused): not waited for again.
      if (!has_reached_broker) break;
      continue;
    }
    for (int i = 0; i < md->topic_cnt; ++i) {
      const rd_kafka_resp_err_t terr = md->topics[i].err;
      if (!terr) continue;
      if (classify_produce_error(terr) == produce_error::topic_unusable)
        unusable.push_back(name + ": " + rd_kafka_err2str(terr));
      else
        log::warn("kafka topic not usable yet", {{"topic", name}, {"error", rd_kafka_err2str(terr)}});
    }
    rd_kafka_metadata_destroy(md);
  }
  return unusable;
}

}  // namespace herald::kafka
