#pragma once
// The sans-I/O half of reading from Redis: feed it the bytes read from the socket, in pieces of
// any size, and pull complete replies out in order. Wraps hiredis's reply reader
// (redisReaderCreateWithFunctions) with callbacks that build owned `reply` values directly, so a
// reply is parsed once and never copied out of a hiredis redisReply.
#include <memory>
#include <string>
#include <string_view>

#include "herald/redis/reply.hpp"

namespace herald::redis {

class reply_reader {
 public:
  enum class status {
    reply,           // `out` holds the next reply
    incomplete,      // feed more bytes
    protocol_error,  // the stream is corrupt; see error(); only a new connection recovers
  };

  reply_reader();
  ~reply_reader();
  reply_reader(const reply_reader&) = delete;
  reply_reader& operator=(const reply_reader&) = delete;

  // Appends bytes (copied into hiredis's buffer).
  void feed(std::string_view bytes);

  // Moves the next complete reply into `out`. `out`'s previous buffers may be reused for later
  // replies, so passing the same object again avoids allocations.
  status next(reply& out);

  // Why the last next() returned protocol_error.
  std::string error() const;

  // Forgets any partly read reply and the error state (for a new connection).
  void reset();

 private:
  struct state;
  std::unique_ptr<state> state_;
};

}  // namespace herald::redis
