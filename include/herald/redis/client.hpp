#pragma once
// The asynchronous Redis client: one TCP connection driven by Asio coroutines on the caller's
// (single-threaded) executor; or, with redis.cluster_nodes, one per Redis Cluster primary, every
// command routed to its slot's primary and redirections followed (cluster_router.hpp), with the
// same interface and promises. Commands are written by command.hpp; hiredis is used only to parse
// replies (reply_reader.hpp).
//
// - Pipelining: exec() sends all its commands in one write and resolves with one reply per
//   command. Concurrent exec() calls share the connection: requests queue FIFO, writes coalesce,
//   replies are matched in order (Redis answers in order on one connection).
// - Deadlines: connect + handshake within connect_timeout_ms; every exec() within
//   command_timeout_ms, else the connection is closed (so a late reply can never be matched to
//   the wrong request), every pending request fails, and the client reconnects.
// - Reconnection: start() connects in the background and reconnects forever with exponential
//   backoff and jitter until stop(). exec() fails at once while not connected; callers that must
//   not lose work pause on on_connection_change(false) and resume on true.
//
// An error reply from Redis (e.g. WRONGTYPE) is a successful exec(): it is one of the replies.
// exec() fails only when no trustworthy answer exists (not connected, connection lost, timeout).
//
// Not thread-safe: use it from the executor's one thread. The client may be destroyed while
// operations are pending; they then fail.
//
// GCC 12 cannot compile a braced list inside a co_await expression ("array used as
// initializer"): build the commands in a statement of their own, then
// `co_await c.exec(std::move(commands))`.
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "herald/redis/cluster_counts.hpp"
#include "herald/config/config.hpp"
#include "herald/redis/command.hpp"
#include "herald/redis/reply.hpp"
#include "herald/redis/script.hpp"
#include "herald/util/result.hpp"

namespace herald::redis {

namespace detail {
class cluster_router;
}

class client {
 public:
  client(boost::asio::any_io_executor executor, config::redis_config cfg);
  ~client();  // stops; on_connection_change callbacks do not fire from the destructor
  client(const client&) = delete;
  client& operator=(const client&) = delete;

  // Connects in the background: connect, AUTH (username + password, or password alone), SELECT
  // when db != 0, PING, INFO server (a server older than Redis 7.0 is refused:
  // redis/server_version.hpp). Call once.
  void start();
  // Closes the connection, fails pending requests, stops reconnecting. Fires the callback with
  // false if the client was connected.
  void stop();

  bool is_connected() const noexcept;
  // Requests written so far (one per exec(), however many commands it pipelines; an EVALSHA
  // answered NOSCRIPT and sent again as EVAL counts twice): the round trips Herald made.
  std::uint64_t round_trips() const noexcept;

  // With redis.cluster_nodes, what the routing met so far (cluster_counts.hpp); all zero for one
  // Redis.
  cluster_counts cluster_stats() const noexcept;

  // Called on each change: true once the handshake succeeded, false when a working connection is
  // lost (not on failed attempts while already down). The client starts disconnected. The
  // callback runs on the executor, inside the client: it may call exec() via co_spawn and stop(),
  // but must not throw or destroy the client.
  void on_connection_change(std::function<void(bool is_connected)> callback);
  // Called when a handshake finds a server Herald cannot use (check_server_version), with why
  // (once per cause: not again for the same answer on the next attempts). The client stays
  // disconnected and tries again like after any failed attempt, so that a server replaced by a
  // supported one is used. Same rules as on_connection_change.
  void on_server_refused(std::function<void(const std::string& why)> callback);

  // Called after each round trip (a request queued on a live connection: answered, failed or timed
  // out; not one refused at once while disconnected), with the tag its exec() or eval() was given
  // and how long it took from being queued to its outcome: for a latency metric by operation
  // (docs/operations.md, Metrics). Runs on the executor; must not throw.
  void on_round_trip(std::function<void(std::uint8_t tag, std::chrono::steady_clock::duration took)> callback);

  // Sends `commands` in one write; the result holds one reply per command, in order. Empty
  // `commands`: an empty result without touching the network. `tag` only names the round trip
  // to on_round_trip.
  boost::asio::awaitable<result<std::vector<reply>>> exec(std::vector<command> commands, std::uint8_t tag = 0);

  // EVALSHA; on a NOSCRIPT error reply, EVAL (which sends the text and caches it) once.
  // `s`, `keys` and `args` must stay alive until the returned awaitable completes.
  boost::asio::awaitable<result<reply>> eval(const script& s, std::span<const std::string_view> keys,
                                             std::span<const std::string_view> args, std::uint8_t tag = 0);

 private:
  class impl;
  std::shared_ptr<impl> impl_;  // shared with running coroutines, which may outlive the client
  std::shared_ptr<detail::cluster_router> cluster_;  // cluster mode (redis.cluster_nodes) instead of impl_
};

}  // namespace herald::redis
