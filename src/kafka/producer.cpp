#include "herald/kafka/producer.hpp"

#include <librdkafka/rdkafka.h>

#include <boost/asio/steady_timer.hpp>
#include <deque>
#include <stdexcept>
#include <vector>

#include "herald/util/log.hpp"
#include "queue_waker.hpp"

namespace herald::kafka {
namespace {

// A message librdkafka could not take yet (its queue was full); retried after the next reports.
struct pending {
  std::string topic, key, value;
  std::vector<std::pair<std::string, std::string>> headers;
  delivery_target* target;
};

}  // namespace

struct producer::impl : std::enable_shared_from_this<producer::impl> {
  rd_kafka_t* rk = nullptr;
  rd_kafka_queue_t* main_queue = nullptr;
  std::unique_ptr<detail::queue_waker> waker;
  std::deque<pending> backlog;
  std::function<void()> drained_cb;
  boost::asio::steady_timer backlog_timer;
  bool is_fatal = false;

  explicit impl(boost::asio::any_io_executor ex) : backlog_timer(ex) {}

  ~impl() {
    waker.reset();
    if (main_queue) rd_kafka_queue_destroy(main_queue);
    for (const auto& [n, t] : topics) rd_kafka_topic_destroy(t);
    if (rk) rd_kafka_destroy(rk);
  }

  static void dr_cb(rd_kafka_t*, const rd_kafka_message_t* m, void*) {
    auto* target = static_cast<delivery_target*>(m->_private);
    if (!target) return;
    if (m->err) target->on_delivery(false, rd_kafka_err2str(m->err));
    else target->on_delivery(true, {});
  }

  static void error_cb(rd_kafka_t* rk, int err, const char* reason, void* opaque) {
    auto* self = static_cast<impl*>(opaque);
    if (err == RD_KAFKA_RESP_ERR__FATAL) {
      char buf[512];
      rd_kafka_fatal_error(rk, buf, sizeof buf);
      self->is_fatal = true;
      log::error("kafka producer fatal error", {{"reason", buf}});
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
               delivery_target* target, bool is_borrowed);

  // Returns false when librdkafka's queue is full.
  bool try_produce(std::string_view topic, std::string_view key, std::string_view value,
                   std::span<const header> headers, delivery_target* target, bool is_borrowed) {
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
      target->on_delivery(false, rd_kafka_err2str(rd_kafka_last_error()));
      return true;
    }
    rd_kafka_resp_err_t err = rd_kafka_producev(
        rk, RD_KAFKA_V_RKT(rkt), RD_KAFKA_V_MSGFLAGS(is_borrowed ? 0 : RD_KAFKA_MSG_F_COPY),
        RD_KAFKA_V_KEY(const_cast<char*>(key.data()), key.size()),
        RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()), RD_KAFKA_V_HEADERS(hdrs),
        RD_KAFKA_V_OPAQUE(target), RD_KAFKA_V_END);
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) return true;  // librdkafka owns hdrs now
    if (hdrs) rd_kafka_headers_destroy(hdrs);
    if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) return false;
    // Anything else (unknown topic, message too large) cannot succeed by waiting: report it.
    target->on_delivery(false, rd_kafka_err2str(err));
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
      if (!try_produce(p.topic, p.key, p.value, hs, p.target, false)) break;
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
                                             {"queue.buffering.max.messages", "500000"}},
                                            cfg.producer_properties);
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
                       std::span<const header> headers, delivery_target* target) {
  impl_->enqueue(topic, key, value, headers, target, false);
}

void producer::produce_borrowed(std::string_view topic, std::string_view key, std::string_view value,
                                std::span<const header> headers, delivery_target* target) {
  // Saves librdkafka's copy of every outcome record (an allocation and ~400 bytes copied per
  // event). A message that has to wait in the backlog is copied there.
  impl_->enqueue(topic, key, value, headers, target, true);
}

void producer::impl::enqueue(std::string_view topic, std::string_view key, std::string_view value,
                             std::span<const header> headers, delivery_target* target, bool is_borrowed) {
  if (backlog.empty() && try_produce(topic, key, value, headers, target, is_borrowed)) return;
  pending p{std::string(topic), std::string(key), std::string(value), {}, target};
  for (const auto& h : headers) p.headers.emplace_back(h.name, h.value);
  backlog.push_back(std::move(p));
  if (backlog.size() == 1) retry_backlog();
}

void producer::on_reports_drained(std::function<void()> cb) { impl_->drained_cb = std::move(cb); }

std::size_t producer::outstanding() const {
  return static_cast<std::size_t>(rd_kafka_outq_len(impl_->rk)) + impl_->backlog.size();
}

std::size_t producer::flush(std::chrono::milliseconds timeout) {
  rd_kafka_flush(impl_->rk, static_cast<int>(timeout.count()));
  impl_->drain();
  return outstanding();
}

bool producer::has_fatal_error() const { return impl_->is_fatal; }

void producer::warm_up(std::span<const std::string> topics, std::chrono::milliseconds timeout) {
  for (const auto& name : topics) {
    // The handle is the one produce() uses afterwards.
    rd_kafka_topic_t* rkt = impl_->topic_handle(name);
    if (!rkt) continue;
    const rd_kafka_metadata_t* md = nullptr;
    rd_kafka_resp_err_t err = rd_kafka_metadata(impl_->rk, 0, rkt, &md, static_cast<int>(timeout.count()));
    if (err) {
      log::warn("kafka topic metadata not available yet", {{"topic", name}, {"error", rd_kafka_err2str(err)}});
    } else {
      for (int i = 0; i < md->topic_cnt; ++i)
        if (md->topics[i].err)
          log::warn("kafka topic not usable yet", {{"topic", name}, {"error", rd_kafka_err2str(md->topics[i].err)}});
      rd_kafka_metadata_destroy(md);
    }
  }
}

}  // namespace herald::kafka
