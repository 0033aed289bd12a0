#include "herald/redis/client.hpp"

#include <chrono>
#include <exception>
#include <optional>
#include <random>
#include <string_view>
#include <tuple>
#include <utility>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <openssl/ssl.h>

#include "cluster_router.hpp"
#include "connection.hpp"
#include "herald/redis/handshake_refusal.hpp"
#include "herald/redis/reconnect_backoff.hpp"
#include "herald/redis/server_version.hpp"
#include "herald/util/log.hpp"

namespace herald::redis {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using boost::system::error_code;
using detail::connection;
using detail::request;

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t read_buffer_size = 64 * 1024;

std::chrono::milliseconds ms(std::uint32_t n) { return std::chrono::milliseconds(n); }

// co_spawn completion for the client's own coroutines. They report failures through as_tuple and
// never throw by design; if one does anyway (out of memory), the client could no longer
// reconnect, so the error is logged and rethrown out of io_context::run() to stop the worker.
void rethrow_task_failure(std::exception_ptr failure) {
  if (!failure) return;
  try {
    std::rethrow_exception(failure);
  } catch (const std::exception& e) {
    log::error("redis client task failed", {{"error", e.what()}});
    throw;
  }
}

}  // namespace

class client::impl : public std::enable_shared_from_this<impl> {
 public:
  impl(asio::any_io_executor executor, config::redis_config cfg)
      : executor_(std::move(executor)),
        cfg_(std::move(cfg)),
        label_("redis " + cfg_.host + ":" + std::to_string(cfg_.port)),
        tls_name_(detail::tls_server_name(cfg_)),
        backoff_timer_(executor_),
        read_buffer_(read_buffer_size),
        random_(std::random_device{}()) {
    // At start-up: an unreadable CA file or client key is a configuration error, thrown.
    if (cfg_.tls.enabled) tls_context_.emplace(detail::make_tls_context(cfg_.tls));
  }

  void start() {
    if (is_started_) return;
    is_started_ = true;
    asio::co_spawn(executor_, [self = shared_from_this()] { return self->run(); }, rethrow_task_failure);
  }

  void stop() {
    if (is_stopped_) return;
    is_stopped_ = true;
    backoff_timer_.cancel();
    if (conn_) close(conn_, "client stopped");
  }

  bool is_connected() const noexcept { return conn_ && conn_->is_ready && !conn_->is_closed; }
  std::uint64_t round_trips() const noexcept { return round_trips_; }

  std::function<void(bool)> on_change;
  std::function<void(const std::string&)> on_refused;
  std::function<void(std::uint8_t, std::chrono::steady_clock::duration)> on_round_trip;

  // Static with the impl as a parameter: the coroutine frame holds the impl from its creation,
  // so the client may be destroyed before the awaitable is first resumed.
  static asio::awaitable<result<std::vector<reply>>> exec(std::shared_ptr<impl> self,
                                                           std::vector<command> commands, std::uint8_t tag) {
    if (commands.empty()) co_return std::vector<reply>{};
    const auto conn = self->conn_;
    if (!conn || !conn->is_ready || conn->is_closed) co_return make_error(self->label_ + ": not connected");

    auto r = std::make_shared<request>(self->executor_, std::move(commands));
    r->timer.expires_after(ms(self->cfg_.command_timeout_ms));
    conn->enqueue(r);
    ++self->round_trips_;
    const auto queued_at = std::chrono::steady_clock::now();
    const auto [ec] = co_await r->timer.async_wait(use_tuple);
    if (self->on_round_trip && (r->is_done || !ec)) self->on_round_trip(tag, std::chrono::steady_clock::now() - queued_at);

    if (r->is_done) {
      if (r->is_failed) co_return make_error(std::move(r->failure));
      co_return std::move(r->replies);
    }
    if (!ec) {
      // No complete answer in time. Its reply may still come, so this connection's replies can
      // no longer be matched to requests: close it (failing everything pending) and reconnect.
      std::string why = "command timed out after " + std::to_string(self->cfg_.command_timeout_ms) + " ms";
      self->close(conn, why);
      co_return make_error(self->label_ + ": " + why);
    }
    // Cancelled by the caller (e.g. through a cancellation slot).
    conn->abandon(r);
    co_return make_error(self->label_ + ": request cancelled");
  }

 private:
  enum class link_state { unknown, up, down };

  asio::awaitable<void> run() {
    const auto self = shared_from_this();
    reconnect_backoff backoff(cfg_.reconnect_backoff_min_ms, cfg_.reconnect_backoff_max_ms);
    std::uniform_real_distribution<double> unit(0.0, 1.0);
    while (!is_stopped_) {
      const auto conn = std::make_shared<connection>(executor_, tls_context_ ? &*tls_context_ : nullptr);
      conn_ = conn;
      const status established = co_await establish(conn);
      if (is_stopped_) break;
      if (established) {
        backoff.reset();
        conn->is_ready = true;
        announce_up();
        if (!conn->is_closed) {
          asio::co_spawn(executor_, [self, conn] { return self->write_loop(conn); }, rethrow_task_failure);
          co_await read_loop(conn);  // returns once the connection is closed, for whatever reason
        }
      } else {
        close(conn, established.message());
        // Logged and told once per cause, not on every retry.
        if (conn->is_refused && established.message() != last_refusal_) {
          last_refusal_ = established.message();
          log::error(conn->refusal_message, {{"host", cfg_.host}, {"port", cfg_.port}, {"error", last_refusal_}});
          if (on_refused) on_refused(last_refusal_);
        }
      }
      if (is_stopped_) break;
      const auto delay = backoff.next_delay_ms(unit(random_));
      log::debug("redis reconnecting", {{"host", cfg_.host}, {"port", cfg_.port},
                                        {"delay_ms", delay}, {"failures", backoff.failures()}});
      backoff_timer_.expires_after(ms(delay));
      co_await backoff_timer_.async_wait(use_tuple);
    }
  }

  // Connect, TLS handshake, AUTH, SELECT, PING, INFO server: all within connect_timeout_ms.
  asio::awaitable<status> establish(std::shared_ptr<connection> conn) {
    conn->connect_deadline.expires_after(ms(cfg_.connect_timeout_ms));
    conn->connect_deadline.async_wait([conn](error_code ec) {
      if (ec || conn->is_ready || conn->is_closed) return;
      conn->has_connect_timed_out = true;
      conn->resolver.cancel();
      error_code ignored;
      conn->socket.close(ignored);  // fails whatever establish() is waiting for
    });
    const auto failed = [&](std::string_view what, const error_code& ec) -> status {
      if (conn->has_connect_timed_out) {
        // A plain Redis port takes the TLS hello for the start of a command and waits for the rest.
        return make_error(label_ + ": " + std::string(what) + " timed out after " +
                          std::to_string(cfg_.connect_timeout_ms) + " ms" +
                          (what == "TLS handshake" ? " (no TLS answer: a plain Redis port?)" : ""));
      }
      if (conn->tls && (ec.category() == asio::error::get_ssl_category() || ec == asio::ssl::error::stream_truncated)) {
        // A certificate refused (by either side) or no TLS on the port will not fix itself.
        if (detail::is_tls_configuration_error(ec)) {
          conn->is_refused = true;
          conn->refusal_message = "redis TLS handshake refused";
        }
        return make_error(label_ + ": " + std::string(what) + " failed: " +
                          detail::describe_tls_error(ec, conn->tls_failure.get(), tls_name_));
      }
      if (!conn->tls && (ec == asio::error::eof || ec == asio::error::connection_reset) && what == "handshake") {
        return make_error(label_ + ": handshake failed: connection closed by the server before it answered "
                          "(a TLS port? redis.tls.enabled is false)");
      }
      return make_error(label_ + ": " + std::string(what) + " failed: " + ec.message());
    };

    std::vector<tcp::endpoint> endpoints;
    error_code ec;
    const auto address = asio::ip::make_address(cfg_.host, ec);
    if (!ec) {
      endpoints.emplace_back(address, cfg_.port);
    } else {
      const auto [resolve_ec, results] =
          co_await conn->resolver.async_resolve(cfg_.host, std::to_string(cfg_.port), use_tuple);
      if (resolve_ec) co_return failed("resolve", resolve_ec);
      for (const auto& entry : results) endpoints.push_back(entry.endpoint());
    }

    const auto [connect_ec, endpoint] = co_await asio::async_connect(conn->socket, endpoints, use_tuple);
    if (connect_ec) co_return failed("connect", connect_ec);
    conn->socket.set_option(tcp::no_delay(true), ec);  // pipelined batches must not wait for Nagle

    if (conn->tls) {
      SSL* ssl = conn->tls->native_handle();
      // SNI carries host names only (RFC 6066 §3).
      error_code not_ip;
      (void)asio::ip::make_address(tls_name_, not_ip);
      if (not_ip && SSL_set_tlsext_host_name(ssl, tls_name_.c_str()) != 1) {
        co_return make_error(label_ + ": TLS: cannot set the server name (SNI) '" + tls_name_ + "'");
      }
      if (cfg_.tls.verify_peer) conn->tls->set_verify_callback(detail::tls_verifier{tls_name_, conn->tls_failure});
      const auto [tls_ec] = co_await conn->tls->async_handshake(asio::ssl::stream_base::client, use_tuple);
      if (tls_ec) co_return failed("TLS handshake", tls_ec);
    }

    // The handshake is pipelined too: one write, then one reply per command.
    std::vector<command> handshake;
    if (!cfg_.username.empty()) {
      handshake.push_back(command{"AUTH", cfg_.username, cfg_.password});
    } else if (!cfg_.password.empty()) {
      handshake.push_back(command{"AUTH", cfg_.password});
    }
    const std::string db = std::to_string(cfg_.db);
    if (cfg_.db != 0) handshake.push_back(command{"SELECT", db});
    handshake.push_back(command{"PING"});
    handshake.push_back(command{"INFO", "server"});
    conn->write_buffer.clear();
    for (const auto& c : handshake) conn->write_buffer += c.bytes();
    // if/else rather than ?: around co_await: GCC 12 evaluates both arms.
    error_code write_ec;
    if (conn->tls) {
      std::tie(write_ec, std::ignore) = co_await asio::async_write(*conn->tls, asio::buffer(conn->write_buffer), use_tuple);
    } else {
      std::tie(write_ec, std::ignore) = co_await asio::async_write(conn->socket, asio::buffer(conn->write_buffer), use_tuple);
    }
    if (write_ec) co_return failed("handshake", write_ec);

    std::vector<reply> replies;
    while (replies.size() < handshake.size()) {
      error_code read_ec;
      std::size_t n = 0;
      if (conn->tls) {
        std::tie(read_ec, n) = co_await conn->tls->async_read_some(asio::buffer(read_buffer_), use_tuple);
      } else {
        std::tie(read_ec, n) = co_await conn->socket.async_read_some(asio::buffer(read_buffer_), use_tuple);
      }
      // Under TLS 1.3 a client certificate the server refuses is only told here, after the TLS
      // handshake: failed() names it.
      if (read_ec) co_return failed("handshake", read_ec);
      conn->reader.feed(std::string_view(read_buffer_.data(), n));
      for (;;) {
        const auto s = conn->reader.next(conn->scratch);
        if (s == reply_reader::status::incomplete) break;
        if (s == reply_reader::status::protocol_error) {
          co_return make_error(label_ + ": handshake: protocol error: " + conn->reader.error());
        }
        replies.push_back(std::move(conn->scratch));
      }
    }
    if (replies.size() != handshake.size()) co_return make_error(label_ + ": handshake: unexpected extra replies");
    std::size_t i = 0;
    if (!cfg_.username.empty() || !cfg_.password.empty()) {
      // The server's message only (e.g. WRONGPASS): never the credentials. Refused, not retried
      // quietly: a wrong password or user does not fix itself.
      if (replies[i].is_error()) {
        conn->is_refused = true;
        conn->refusal_message = "redis AUTH refused";
        co_return make_error(label_ + ": AUTH refused" +
                             (cfg_.username.empty() ? std::string() : " for user '" + cfg_.username + "'") + ": " +
                             replies[i].str);
      }
      ++i;
    }
    if (cfg_.db != 0) {
      if (replies[i].is_error()) {
        conn->is_refused = true;
        conn->refusal_message = "redis SELECT refused";
        co_return make_error(label_ + ": SELECT " + db + " refused: " + replies[i].str);
      }
      ++i;
    }
    if (replies[i].kind != reply::type::status || replies[i].str != "PONG") {
      // The configuration's (NOAUTH, NOPERM, WRONGPASS) stop the worker; a server out of step
      // (LOADING, BUSY, MASTERDOWN) is tried again.
      if (replies[i].is_error() && is_handshake_refusal(replies[i].str)) {
        conn->is_refused = true;
        conn->refusal_message = "redis PING refused";
      }
      co_return make_error(label_ + ": PING answered " + describe(replies[i]));
    }
    ++i;
    // The ledger needs Redis 7.0 (EXPIRE ... NX): an older server is refused, not used to fail
    // every item. INFO refused (an ACL without +info) is a refusal too: the version is unknown.
    if (replies[i].is_error()) {
      conn->is_refused = true;
      co_return make_error(label_ + ": INFO server refused: " + replies[i].str +
                           " (Herald checks the server's version with it: allow +info)");
    }
    if (auto supported = check_server_version(replies[i].str); !supported) {
      conn->is_refused = true;
      co_return make_error(label_ + ": " + supported.message());
    }
    conn->connect_deadline.cancel();
    co_return ok;
  }

  asio::awaitable<void> read_loop(std::shared_ptr<connection> conn) {
    for (;;) {
      error_code ec;
      std::size_t n = 0;
      if (conn->tls) {
        std::tie(ec, n) = co_await conn->tls->async_read_some(asio::buffer(read_buffer_), use_tuple);
      } else {
        std::tie(ec, n) = co_await conn->socket.async_read_some(asio::buffer(read_buffer_), use_tuple);
      }
      if (conn->is_closed) co_return;
      if (ec) {
        close(conn, ec == asio::error::eof || ec == asio::ssl::error::stream_truncated
                        ? std::string("connection closed by the server")
                        : "read failed: " + ec.message());
        co_return;
      }
      if (const auto delivered = conn->deliver(std::string_view(read_buffer_.data(), n)); !delivered) {
        close(conn, delivered.message());
        co_return;
      }
    }
  }

  asio::awaitable<void> write_loop(std::shared_ptr<connection> conn) {
    while (!conn->is_closed) {
      if (!conn->take_unsent()) {
        conn->is_writer_idle = true;
        co_await conn->write_signal.async_wait(use_tuple);
        conn->is_writer_idle = false;
        continue;
      }
      error_code ec;
      if (conn->tls) {
        std::tie(ec, std::ignore) = co_await asio::async_write(*conn->tls, asio::buffer(conn->write_buffer), use_tuple);
      } else {
        std::tie(ec, std::ignore) = co_await asio::async_write(conn->socket, asio::buffer(conn->write_buffer), use_tuple);
      }
      if (conn->is_closed) co_return;
      if (ec) {
        close(conn, "write failed: " + ec.message());
        co_return;
      }
    }
  }

  // Ends a connection (idempotent): closes the socket, which ends its coroutines, and fails every
  // request on it. The run loop then reconnects.
  void close(const std::shared_ptr<connection>& conn, std::string_view why) {
    if (conn->is_closed) return;
    conn->is_closed = true;
    conn->is_ready = false;
    error_code ignored;
    conn->socket.close(ignored);
    conn->resolver.cancel();
    conn->connect_deadline.cancel();
    conn->write_signal.cancel();
    conn->fail_all(label_ + ": connection closed before the reply (" + std::string(why) + ")");
    announce_down(why);
  }

  void announce_up() {
    last_refusal_.clear();
    if (state_ == link_state::up) return;
    state_ = link_state::up;
    log::info("redis connected", {{"host", cfg_.host}, {"port", cfg_.port}, {"db", cfg_.db}, {"tls", cfg_.tls.enabled}});
    if (on_change) on_change(true);
  }

  // Logs once per change; repeated failed attempts while down only at debug level.
  void announce_down(std::string_view why) {
    const bool was_up = state_ == link_state::up;
    if (is_stopped_) {
      if (was_up) log::info("redis client stopped", {{"host", cfg_.host}, {"port", cfg_.port}});
    } else if (was_up) {
      log::warn("redis disconnected", {{"host", cfg_.host}, {"port", cfg_.port}, {"error", why}});
    } else if (state_ == link_state::unknown) {
      log::warn("redis unavailable", {{"host", cfg_.host}, {"port", cfg_.port}, {"error", why}});
    } else {
      log::debug("redis still unavailable", {{"host", cfg_.host}, {"port", cfg_.port}, {"error", why}});
    }
    state_ = link_state::down;
    if (was_up && on_change) on_change(false);
  }

  asio::any_io_executor executor_;
  config::redis_config cfg_;
  std::string label_;  // "redis host:port", the prefix of every error message
  std::string tls_name_;  // SNI and the certificate's expected name (with TLS)
  std::optional<asio::ssl::context> tls_context_;  // redis.tls.enabled only; outlives every connection
  asio::steady_timer backoff_timer_;
  std::shared_ptr<connection> conn_;  // the current (or last) connection
  std::vector<char> read_buffer_;     // reused by every read; one reader at a time
  std::minstd_rand random_;           // reconnect jitter only
  link_state state_ = link_state::unknown;
  std::string last_refusal_;  // why the last handshake refused the server, until one succeeds
  bool is_started_ = false;
  bool is_stopped_ = false;
  std::uint64_t round_trips_ = 0;
};

client::client(asio::any_io_executor executor, config::redis_config cfg) {
  if (cfg.is_cluster()) {
    cluster_ = std::make_shared<detail::cluster_router>(std::move(executor), std::move(cfg));
  } else {
    impl_ = std::make_shared<impl>(std::move(executor), std::move(cfg));
  }
}

client::~client() {
  if (cluster_) {
    cluster_->on_change = nullptr;
    cluster_->on_refused = nullptr;
    cluster_->on_round_trip = nullptr;
    cluster_->stop();
    return;
  }
  impl_->on_change = nullptr;
  impl_->on_refused = nullptr;
  impl_->on_round_trip = nullptr;
  impl_->stop();
}

void client::start() { cluster_ ? cluster_->start() : impl_->start(); }
void client::stop() { cluster_ ? cluster_->stop() : impl_->stop(); }
bool client::is_connected() const noexcept { return cluster_ ? cluster_->is_connected() : impl_->is_connected(); }
std::uint64_t client::round_trips() const noexcept { return cluster_ ? cluster_->round_trips() : impl_->round_trips(); }
cluster_counts client::cluster_stats() const noexcept { return cluster_ ? cluster_->counts() : cluster_counts{}; }
void client::on_connection_change(std::function<void(bool)> callback) {
  (cluster_ ? cluster_->on_change : impl_->on_change) = std::move(callback);
}
void client::on_server_refused(std::function<void(const std::string&)> callback) {
  (cluster_ ? cluster_->on_refused : impl_->on_refused) = std::move(callback);
}

void client::on_round_trip(std::function<void(std::uint8_t, std::chrono::steady_clock::duration)> callback) {
  (cluster_ ? cluster_->on_round_trip : impl_->on_round_trip) = std::move(callback);
}

asio::awaitable<result<std::vector<reply>>> client::exec(std::vector<command> commands, std::uint8_t tag) {
  if (cluster_) return detail::cluster_router::exec(cluster_, std::move(commands), tag);
  return impl::exec(impl_, std::move(commands), tag);
}

namespace {

// EVALSHA; on NOSCRIPT (the server, or with a cluster the node, lost its script cache) EVAL,
// which runs the script and caches it, in the single round trip a SCRIPT LOAD would take; EVALSHA
// works again from then on. `exec` is the one-connection or the cluster exec.
template <class Exec>
asio::awaitable<result<reply>> eval_with(Exec exec, const script& s, std::span<const std::string_view> keys,
                                         std::span<const std::string_view> args) {
  std::vector<command> commands;
  commands.push_back(s.evalsha_command(keys, args));
  auto replies = co_await exec(std::move(commands));
  if (!replies) co_return replies.err();
  if (!is_noscript(replies->front())) co_return std::move(replies->front());
  commands.clear();
  commands.push_back(s.eval_command(keys, args));
  replies = co_await exec(std::move(commands));
  if (!replies) co_return replies.err();
  co_return std::move(replies->front());
}

}  // namespace

asio::awaitable<result<reply>> client::eval(const script& s, std::span<const std::string_view> keys,
                                            std::span<const std::string_view> args, std::uint8_t tag) {
  // The lambdas hold the shared state, so the client may go away while the call is pending.
  if (cluster_)
    return eval_with([router = cluster_, tag](std::vector<command> c) { return detail::cluster_router::exec(router, std::move(c), tag); },
                     s, keys, args);
  return eval_with([self = impl_, tag](std::vector<command> c) { return impl::exec(self, std::move(c), tag); }, s, keys,
                   args);
}

}  // namespace herald::redis
