#pragma once
// Internal to client.cpp: one TCP (or TLS) connection to Redis and the requests riding on it. The
// client makes a new connection object for every attempt, so nothing read from an old socket can
// reach a request sent on a new one.
#include <cstddef>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>

#include "herald/redis/command.hpp"
#include "herald/redis/reply.hpp"
#include "herald/redis/reply_reader.hpp"
#include "herald/util/result.hpp"
#include "tls.hpp"

namespace herald::redis::detail {

// One exec() call. Shared between the waiting exec() and the connection's queues, because a
// request whose exec() was cancelled after it was written must stay queued until its replies
// have arrived (and been dropped).
struct request {
  request(const boost::asio::any_io_executor& executor, std::vector<command> cmds);

  boost::asio::steady_timer timer;  // the command deadline; cancelled to wake exec() when done
  std::vector<command> commands;
  std::size_t expected_replies;
  std::vector<reply> replies;
  std::string failure;
  bool is_done = false;
  bool is_failed = false;
  bool is_abandoned = false;  // exec() is gone: replies are still consumed, then dropped

  void complete();
  void fail(std::string_view why);
};

struct connection {
  // With `tls` (redis.tls.enabled), every byte goes through the TLS stream over the socket.
  explicit connection(const boost::asio::any_io_executor& executor, boost::asio::ssl::context* tls_context = nullptr);

  boost::asio::ip::tcp::socket socket;
  // Engaged for TLS only, over `socket` (closing the socket ends it too). The plain path reads
  // and writes the socket itself: one branch, no extra layer.
  std::optional<boost::asio::ssl::stream<boost::asio::ip::tcp::socket&>> tls;
  std::shared_ptr<tls_verify_failure> tls_failure;  // what the certificate check found, if anything
  boost::asio::ip::tcp::resolver resolver;
  boost::asio::steady_timer connect_deadline;
  boost::asio::steady_timer write_signal;  // never expires; cancelled to wake an idle writer
  reply_reader reader;
  reply scratch;  // reused as the reader's output slot
  std::deque<std::shared_ptr<request>> unsent;     // queued, not yet written
  std::deque<std::shared_ptr<request>> in_flight;  // written, in the order Redis will answer
  std::string write_buffer;
  bool is_ready = false;   // handshake done: accepts requests
  bool is_closed = false;  // closed for good; its coroutines exit when they next wake
  bool is_writer_idle = false;
  bool has_connect_timed_out = false;
  // The handshake found a server Herald cannot use as configured: too old (server_version.hpp),
  // credentials or a database refused, a certificate refused either way, no TLS where configured.
  // Not retried quietly: said once, and a start-up stops on it (client.hpp on_server_refused).
  bool is_refused = false;
  const char* refusal_message = "redis server not supported";  // the log line's message when refused

  // Queues a request and wakes the writer if it is waiting.
  void enqueue(std::shared_ptr<request> r);
  // Moves every unsent request's bytes into write_buffer (one write for all of them) and the
  // requests to in_flight. Returns false when there is nothing to write.
  bool take_unsent();
  // Parses `bytes` and gives each complete reply to the oldest written request. An error means
  // the byte stream can no longer be trusted: the caller must close the connection.
  status deliver(std::string_view bytes);
  // A request whose exec() gave up: dropped if not yet written, else marked so that its replies
  // are consumed and discarded (they still occupy their place in the reply order).
  void abandon(const std::shared_ptr<request>& r);
  // Fails every queued and in-flight request with `why`.
  void fail_all(std::string_view why);
};

}  // namespace herald::redis::detail
