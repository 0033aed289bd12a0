#include "redis_once.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <memory>
#include <optional>

#include "herald/redis/client.hpp"

namespace herald::app {

namespace asio = boost::asio;

result<std::vector<redis::reply>> redis_exec_once(const config::redis_config& cfg, std::vector<redis::command> commands,
                                                  std::uint32_t timeout_ms) {
  const std::string where = "redis " + cfg.host + ":" + std::to_string(cfg.port);
  asio::io_context io(1);
  struct state {
    std::optional<result<std::vector<redis::reply>>> answer;
    std::string refused;
    bool is_asked = false;
  };
  auto st = std::make_shared<state>();
  auto client = std::make_unique<redis::client>(io.get_executor(), cfg);
  redis::client* c = client.get();
  client->on_server_refused([st](const std::string& why) { st->refused = why; });
  client->on_connection_change([st, c, &io, &commands](bool is_up) {
    if (!is_up || st->is_asked) return;
    st->is_asked = true;
    asio::co_spawn(
        io,
        [st, c, cmds = std::move(commands)]() mutable -> asio::awaitable<void> {
          auto r = co_await c->exec(std::move(cmds));
          st->answer = std::move(r);
        },
        [](std::exception_ptr) {});
  });
  client->start();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (!st->answer && st->refused.empty() && std::chrono::steady_clock::now() < deadline)
    io.run_for(std::chrono::milliseconds(20));
  client->stop();
  io.run_for(std::chrono::milliseconds(10));
  client.reset();
  if (st->answer) {
    if (!*st->answer) return make_error(where + ": " + st->answer->message());
    return std::move(*st->answer);
  }
  if (!st->refused.empty()) return make_error(where + ": " + st->refused);
  return make_error(where + ": no answer within " + std::to_string(timeout_ms) +
                    " ms (not reachable, or the handshake failed: the \"redis unavailable\" log line above says why)");
}

}  // namespace herald::app
