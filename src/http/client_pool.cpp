// The keep-alive pool: endpoint_slots (bookkeeping) and phase (what a failure means) wrapped
// around connection (the I/O). It decides nothing those plain parts do not; it moves connections
// between sends, keeps the waiting bounded and closes what it cannot trust.
#include "herald/http/client_pool.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <optional>
#include <string>
#include <vector>

#include "connection.hpp"
#include "herald/http/endpoint_key.hpp"
#include "herald/http/endpoint_slots.hpp"
#include "herald/http/phase.hpp"
#include "herald/http/request_head.hpp"
#include "herald/util/log.hpp"
#include "tls_context.hpp"

namespace herald::http {

namespace asio = boost::asio;

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
using connection_ptr = std::unique_ptr<connection>;

}  // namespace

namespace detail {

struct waiter;

struct endpoint_pool {
  endpoint_pool(endpoint_key key, std::size_t max_open, std::chrono::steady_clock::duration idle_timeout)
      : target(std::move(key)), slots(max_open, idle_timeout) {}

  connection_target target;
  endpoint_slots<connection_ptr, waiter*> slots;
};

struct client_pool_state : std::enable_shared_from_this<client_pool_state> {
  client_pool_state(asio::any_io_executor executor, const config::http_config& config,
                    std::chrono::milliseconds idle)
      : ex(std::move(executor)), tls(make_client_tls_context(config)), cfg(config), idle_timeout(idle),
        sweep_timer(ex) {}

  asio::any_io_executor ex;
  asio::ssl::context tls;
  config::http_config cfg;
  std::chrono::steady_clock::duration idle_timeout;
  std::vector<std::unique_ptr<endpoint_pool>> pools;  // few (one per gateway endpoint): a scan is fine
  std::uint64_t epoch = 0;
  bool is_shut_down = false;
  bool is_sweeping = false;
  asio::steady_timer sweep_timer;

  endpoint_pool* find_pool(const config::endpoint& ep, std::string& error);
  connection_ptr make_connection(const endpoint_pool& pool) {
    return std::make_unique<connection>(ex, tls, pool.target.key.is_tls, epoch);
  }
  void deliver(std::optional<endpoint_slots<connection_ptr, waiter*>::hand_over> h);
  void release(endpoint_pool& pool, connection_ptr c, bool is_reusable);
  void close_idle();
  void schedule_sweep();

  struct acquired {
    connection_ptr conn;
    bool is_reused = false;
    std::string error;
  };
  asio::awaitable<acquired> acquire(endpoint_pool& pool);
  static asio::awaitable<exchange> send(std::shared_ptr<client_pool_state> self, const config::endpoint& ep,
                                        request req);
  static asio::awaitable<void> sweep(std::shared_ptr<client_pool_state> self);
};

// A send waiting for a connection. Lives in the waiting coroutine's frame; if that frame is
// destroyed while waiting (the io_context is torn down), it takes itself out of the queue, or
// passes on what it was handed, so that no slot leaks.
struct waiter {
  waiter(std::shared_ptr<client_pool_state> s, endpoint_pool& p) : state(std::move(s)), pool(p), timer(state->ex) {}
  ~waiter() {
    if (!is_handed) {
      pool.slots.cancel(this);
    } else if (!is_taken) {
      if (connection && *connection) (*connection)->close();
      state->deliver(pool.slots.drop());
    }
  }
  waiter(const waiter&) = delete;
  waiter& operator=(const waiter&) = delete;

  std::shared_ptr<client_pool_state> state;
  endpoint_pool& pool;
  asio::steady_timer timer;
  bool is_handed = false;
  bool is_taken = false;
  std::optional<connection_ptr> connection;  // empty: a slot to open a new connection in
};

// The connection a send holds. Whatever path the send leaves by, the connection goes back to the
// pool or is closed and its slot freed: closed unless give_back() says its state is known good.
class lease {
 public:
  lease(std::shared_ptr<client_pool_state> state, endpoint_pool& pool, connection_ptr c)
      : state_(std::move(state)), pool_(pool), conn_(std::move(c)) {}
  ~lease() {
    if (conn_) state_->release(pool_, std::move(conn_), false);
  }
  lease(const lease&) = delete;
  lease& operator=(const lease&) = delete;

  connection& conn() { return *conn_; }
  // Same slot, new connection (the old one is closed).
  void replace(connection_ptr fresh) {
    conn_->close();
    conn_ = std::move(fresh);
  }
  void give_back(bool is_reusable) { state_->release(pool_, std::move(conn_), is_reusable); }

 private:
  std::shared_ptr<client_pool_state> state_;
  endpoint_pool& pool_;
  connection_ptr conn_;
};

endpoint_pool* client_pool_state::find_pool(const config::endpoint& ep, std::string& error) {
  for (auto& p : pools) {
    if (matches(p->target.key, ep)) return p.get();
  }
  auto key = make_endpoint_key(ep);
  if (!key) {
    error = key.message();
    return nullptr;
  }
  pools.push_back(std::make_unique<endpoint_pool>(std::move(*key), cfg.max_connections_per_endpoint, idle_timeout));
  return pools.back().get();
}

void client_pool_state::deliver(std::optional<endpoint_slots<connection_ptr, waiter*>::hand_over> h) {
  if (!h) return;
  waiter* w = h->waiter;
  w->is_handed = true;
  w->connection = std::move(h->connection);
  w->timer.cancel();
}

void client_pool_state::release(endpoint_pool& pool, connection_ptr c, bool is_reusable) {
  if (is_reusable && !is_shut_down && c->epoch() == epoch) {
    auto handed = pool.slots.give_back(std::move(c), std::chrono::steady_clock::now());
    if (handed) {
      deliver(std::move(handed));
    } else {
      schedule_sweep();
    }
    return;
  }
  c->close();
  deliver(pool.slots.drop());
}

void client_pool_state::close_idle() {
  std::vector<connection_ptr> idle;
  for (auto& p : pools) p->slots.take_idle(idle);
  for (auto& c : idle) c->close();
}

void client_pool_state::schedule_sweep() {
  if (is_sweeping) return;
  is_sweeping = true;
  asio::co_spawn(ex, sweep(shared_from_this()), asio::detached);
}

// One timer for all endpoints, running only while some connection is idle.
asio::awaitable<void> client_pool_state::sweep(std::shared_ptr<client_pool_state> self) {
  std::vector<connection_ptr> expired;
  for (;;) {
    std::optional<std::chrono::steady_clock::time_point> next;
    for (auto& p : self->pools) {
      if (const auto t = p->slots.next_expiry(); t && (!next || *t < *next)) next = t;
    }
    if (!next || self->is_shut_down) break;
    self->sweep_timer.expires_at(*next);
    co_await self->sweep_timer.async_wait(use_tuple);
    const auto now = std::chrono::steady_clock::now();
    for (auto& p : self->pools) p->slots.take_expired(now, expired);
    for (auto& c : expired) c->close();
    expired.clear();
  }
  self->is_sweeping = false;
}

asio::awaitable<client_pool_state::acquired> client_pool_state::acquire(endpoint_pool& pool) {
  std::vector<connection_ptr> expired;
  for (;;) {
    auto a = pool.slots.acquire(std::chrono::steady_clock::now(), expired);
    for (auto& c : expired) c->close();
    expired.clear();
    using verdict = endpoint_slots<connection_ptr, waiter*>::verdict;
    if (a.what == verdict::reuse) {
      connection_ptr c = std::move(*a.connection);
      if (c->epoch() == epoch && c->is_alive_while_idle()) co_return acquired{std::move(c), true, {}};
      log::debug("http idle connection closed by the server", {{"endpoint", pool.target.name}});
      c->close();
      deliver(pool.slots.drop());
      continue;  // try the next idle one, or open a new one
    }
    if (a.what == verdict::open_new) co_return acquired{make_connection(pool), false, {}};

    waiter w(shared_from_this(), pool);
    w.timer.expires_after(std::chrono::milliseconds(cfg.connect_timeout_ms));
    pool.slots.wait(&w);
    co_await w.timer.async_wait(use_tuple);
    if (!w.is_handed) {
      pool.slots.cancel(&w);
      co_return acquired{nullptr, false,
                         "pool exhausted: " + std::to_string(pool.slots.max_open()) + " connections busy for " +
                             std::to_string(cfg.connect_timeout_ms) + " ms"};
    }
    w.is_taken = true;
    if (w.connection && *w.connection) {
      connection_ptr c = std::move(*w.connection);
      if (c->epoch() == epoch && c->is_alive_while_idle()) co_return acquired{std::move(c), true, {}};
      c->close();  // keep its slot: we have waited our turn
    }
    co_return acquired{make_connection(pool), false, {}};
  }
}

asio::awaitable<exchange> client_pool_state::send(std::shared_ptr<client_pool_state> self, const config::endpoint& ep,
                                                  request req) {
  exchange out;
  const auto fail = [&](phase p, std::string message, const endpoint_pool* pool, bool is_reused) {
    log::warn("http exchange failed", {{"phase", to_string(p)},
                                       {"endpoint", pool ? std::string_view(pool->target.name) : std::string_view(ep.host)},
                                       {"error", message},
                                       {"is_reused_connection", is_reused}});
    out.fail = classify(p);
    out.error = std::move(message);
  };

  std::string key_error;
  endpoint_pool* pool = self->find_pool(ep, key_error);
  if (!pool) {
    fail(phase::request, describe(phase::request, "", key_error), nullptr, false);
    co_return out;
  }
  acquired got = co_await self->acquire(*pool);
  if (!got.conn) {
    fail(phase::pool, std::move(got.error), pool, false);
    co_return out;
  }
  lease held(self, *pool, std::move(got.conn));
  bool is_reused = got.is_reused;
  const bool is_head_request = req.method == "HEAD";

  for (int retries = 0;;) {
    connection& c = held.conn();
    std::string& bytes = c.request_bytes();
    if (auto head = write_request_head(req, pool->target.host_header, bytes); !head) {
      // Nothing was sent: the connection is as good as it was.
      held.give_back(c.is_open());
      fail(phase::request, describe(phase::request, "", head.message()), pool, is_reused);
      co_return out;
    }
    bytes.append(req.body);
    if (!c.is_open()) {
      if (auto failed = co_await c.open(pool->target, self->cfg)) {
        fail(failed->at, std::move(failed->message), pool, false);
        co_return out;  // the lease closes the connection and frees its slot
      }
    }
    auto result = co_await c.round_trip(is_head_request, self->cfg.request_timeout_ms, out.resp);
    if (!result.failure) {
      held.give_back(result.is_reusable);
      co_return out;
    }
    if (should_retry_on_fresh_connection(result.failure->at, is_reused, retries)) {
      log::info("http reused connection failed on write; retrying on a new one",
                {{"endpoint", pool->target.name}, {"error", result.failure->message}});
      ++retries;
      held.replace(self->make_connection(*pool));
      is_reused = false;
      continue;
    }
    out.resp = response{};  // nothing partial leaks out of a failed exchange
    fail(result.failure->at, std::move(result.failure->message), pool, is_reused);
    out.is_timeout = out.fail == failure::ambiguous && result.failure->is_timeout;
    co_return out;
  }
}

}  // namespace detail

client_pool::client_pool(asio::any_io_executor ex, const config::http_config& cfg,
                         std::chrono::milliseconds idle_timeout)
    : state_(std::make_shared<detail::client_pool_state>(std::move(ex), cfg, idle_timeout)) {}

client_pool::~client_pool() {
  state_->is_shut_down = true;
  close_all();
}

asio::awaitable<exchange> client_pool::send(const config::endpoint& ep, request req) {
  return detail::client_pool_state::send(state_, ep, std::move(req));
}

std::size_t client_pool::open_connections() const {
  std::size_t n = 0;
  for (const auto& p : state_->pools) n += p->slots.open();
  return n;
}

std::vector<client_pool::endpoint_usage> client_pool::usage() const {
  std::vector<endpoint_usage> out;
  out.reserve(state_->pools.size());
  for (const auto& p : state_->pools) out.push_back({p->target.where, p->slots.open(), p->slots.idle()});
  return out;
}

void client_pool::close_all() {
  ++state_->epoch;
  state_->close_idle();
  state_->sweep_timer.cancel();
}

}  // namespace herald::http
