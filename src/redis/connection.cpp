#include "connection.hpp"

#include <algorithm>
#include <utility>

namespace herald::redis::detail {

request::request(const boost::asio::any_io_executor& executor, std::vector<command> cmds)
    : timer(executor), commands(std::move(cmds)), expected_replies(commands.size()) {
  replies.reserve(expected_replies);
}

void request::complete() {
  is_done = true;
  timer.cancel();
}

void request::fail(std::string_view why) {
  failure = why;
  is_failed = true;
  complete();
}

connection::connection(const boost::asio::any_io_executor& executor, boost::asio::ssl::context* tls_context)
    : socket(executor), resolver(executor), connect_deadline(executor), write_signal(executor) {
  write_signal.expires_at(boost::asio::steady_timer::time_point::max());
  if (tls_context != nullptr) {
    tls.emplace(socket, *tls_context);
    tls_failure = std::make_shared<tls_verify_failure>();
  }
}

void connection::enqueue(std::shared_ptr<request> r) {
  unsent.push_back(std::move(r));
  if (is_writer_idle) write_signal.cancel();
}

bool connection::take_unsent() {
  if (unsent.empty()) return false;
  write_buffer.clear();
  while (!unsent.empty()) {
    auto r = std::move(unsent.front());
    unsent.pop_front();
    for (const auto& c : r->commands) write_buffer += c.bytes();
    // In flight from now on: Redis may answer before the write completion is even seen.
    in_flight.push_back(std::move(r));
  }
  return true;
}

status connection::deliver(std::string_view bytes) {
  // hiredis compacts its buffer (memmove of the rest) whenever it has consumed 1 KiB; feeding a
  // large read in slices keeps that cost linear.
  constexpr std::size_t slice = 4096;
  while (!bytes.empty()) {
    const auto part = bytes.substr(0, slice);
    bytes.remove_prefix(part.size());
    reader.feed(part);
    for (;;) {
      const auto s = reader.next(scratch);
      if (s == reply_reader::status::incomplete) break;
      if (s == reply_reader::status::protocol_error) {
        return make_error("protocol error: " + reader.error());
      }
      if (in_flight.empty()) return make_error("protocol error: a reply with no request waiting for it");
      request& head = *in_flight.front();
      head.replies.push_back(std::move(scratch));
      if (head.replies.size() == head.expected_replies) {
        const auto done = std::move(in_flight.front());
        in_flight.pop_front();
        if (done->is_abandoned) {
          done->replies.clear();
        } else {
          done->complete();
        }
      }
    }
  }
  return ok;
}

void connection::abandon(const std::shared_ptr<request>& r) {
  if (auto it = std::find(unsent.begin(), unsent.end(), r); it != unsent.end()) {
    unsent.erase(it);
    return;
  }
  r->is_abandoned = true;
}

void connection::fail_all(std::string_view why) {
  auto written = std::exchange(in_flight, {});
  auto queued = std::exchange(unsent, {});
  for (auto& r : written) r->fail(why);
  for (auto& r : queued) r->fail(why);
}

}  // namespace herald::redis::detail
