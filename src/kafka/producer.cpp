#include "herald/kafka/producer.hpp"

#include <librdkafka/rdkafka.h>

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdlib>
#include <deque>
#include <stdexcept>
#include <vector>

#include "herald/kafka/produce_error.hpp"

#include "herald/util/log.hpp"
#include "queue_waker.hpp"

namespace herald::kafka {
namespace {

// A message librdkafka could not take yet (its queue was full, or it failed transiently); a copy,
// produced again after the next reports or its backoff.
struct pending {
  std::string topic, key, value;
  std::vector<std::pair<std::string, std::string>> headers;
  delivery_target* target;
  nulls null_parts;
  std::uint32_t attempts = 0;  // transient failures so far
};

// librdkafka's default message.max.bytes.
constexpr std::size_t default_max_record_bytes = 1'000'000;

}  // namespace

struct producer::impl : std::enable_shared_from_this<producer::impl> {
  rd_kafka_t* rk = nullptr;
  rd_kafka_queue_t* main_queue = nullptr;
  std::unique_ptr<detail::queue_waker> waker;
  std::deque<pending> backlog;
  std::function<void()> drained_cb;
  std::function<void(std::string)> fatal_cb;
  boost::asio::any_io_executor ex;
  boost::asio::steady_timer backlog_timer;
  // Transient failures wait here for their backoff (a handful at most: librdkafka already
  // retried them for delivery.timeout.ms), due times kept with them; one timer for the earliest.
  std::vector<std::pair<std::chrono::steady_clock::time_point, pending>> retrying;
  boost::asio::steady_timer retry_timer;
  bool is_fatal = false;
  std::size_t max_record_bytes = default_max_record_bytes;
  std::uint64_t retries = 0;

  explicit impl(boost::asio::any_io_executor ex_) : ex(ex_), backlog_timer(ex_), retry_timer(ex_) {}

  ~impl() {
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
      log::error("kafka producer fatal error", {{"reason", buf}});
      if (self->is_fatal) return;
      self->is_fatal = true;
      if (self->fatal_cb) {
        // Not from inside librdkafka's callback: the handler stops the worker.
        boost::asio::post(self->ex, [cb = self->fatal_cb, why = std::string(buf)] { cb(why); });
      }
      return;
    }
    log::warn("kafka producer error", {{"code", rd_kafka_err2name(static_cast<rd_kafka_resp_err_t>(err))},
                                       {"reason", reason}});
  }

  // Topic handles by name: producing by name looks the topic up under librdkafka's lock for
  // every record. Herald writes to a handful of topics, so a short list is searched.
  std::vector<std::pair<std::string, rd_kafka_topic_t*>> topics;
  rd_kafka_topic_t* topic_handle(std::string_view name) {
    for (const auto& [n, t] : topics)
      if (n == name) return t;
    rd_kafka_topic_t* t = rd_kafka_topic_new(rk, std::string(name).c_str(), nullptr);
    if (t) topics.emplace_back(std::string(name), t);
    return t;
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
    rd_kafka_poll(rk, 0);
    retry_backlog();
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
};

producer::producer(boost::asio::any_io_executor ex, const config::kafka_config& cfg)
    : impl_(std::make_shared<impl>(ex)) {
  rd_kafka_conf_t* conf = detail::make_conf({{"bootstrap.servers", cfg.brokers},
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
                                             {"allow.auto.create.topics", "false"}},
                                            cfg.producer_properties);
  {
    char value[64];
    size_t size = sizeof value;
    if (rd_kafka_conf_get(conf, "message.max.bytes", value, &size) == RD_KAFKA_CONF_OK)
      impl_->max_record_bytes = static_cast<std::size_t>(std::strtoull(value, nullptr, 10));
  }
  rd_kafka_conf_set_opaque(conf, impl_.get());
  rd_kafka_conf_set_dr_msg_cb(conf, &impl::dr_cb);
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
}

producer::~producer() = default;

void producer::produce(std::string_view topic, std::string_view key, std::string_view value,
                       std::span<const header> headers, delivery_target* target, nulls null_parts) {
  impl_->enqueue(topic, key, value, headers, target, false, null_parts);
}

void producer::produce_borrowed(std::string_view topic, std::string_view key, std::string_view value,
                                std::span<const header> headers, delivery_target* target) {
  // Saves librdkafka's copy of every outcome record (an allocation and ~400 bytes copied per
  // event). A message that has to wait in the backlog is copied there.
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

void producer::on_reports_drained(std::function<void()> cb) { impl_->drained_cb = std::move(cb); }

std::size_t producer::outstanding() const {
  return static_cast<std::size_t>(rd_kafka_outq_len(impl_->rk)) + impl_->backlog.size() + impl_->retrying.size();
}

std::size_t producer::flush(std::chrono::milliseconds timeout) {
  rd_kafka_flush(impl_->rk, static_cast<int>(timeout.count()));
  impl_->drain();
  return outstanding();
}

bool producer::has_fatal_error() const { return impl_->is_fatal; }
void producer::on_fatal_error(std::function<void(std::string)> cb) { impl_->fatal_cb = std::move(cb); }
std::size_t producer::max_record_bytes() const { return impl_->max_record_bytes; }
std::uint64_t producer::retries() const { return impl_->retries; }

std::vector<std::string> producer::warm_up(std::span<const std::string> topics, std::chrono::milliseconds timeout) {
  std::vector<std::string> unusable;
  for (const auto& name : topics) {
    if (name.empty()) continue;
    // The handle is the one produce() uses afterwards.
    rd_kafka_topic_t* rkt = impl_->topic_handle(name);
    if (!rkt) {
      unusable.push_back(name + ": " + rd_kafka_err2str(rd_kafka_last_error()));
      continue;
    }
    const rd_kafka_metadata_t* md = nullptr;
    rd_kafka_resp_err_t err = rd_kafka_metadata(impl_->rk, 0, rkt, &md, static_cast<int>(timeout.count()));
    if (err) {
      // No broker answered in time: nothing is known about the topic yet, produce() finds out.
      log::warn("kafka topic metadata not available yet", {{"topic", name}, {"error", rd_kafka_err2str(err)}});
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
