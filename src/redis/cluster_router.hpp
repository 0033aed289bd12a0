#pragma once
// Internal to client.cpp: redis::client in cluster mode (redis.cluster_nodes). One client per
// primary (each a pipelined connection of its own), the slot map from CLUSTER SLOTS, and each
// exec() split by node: every command goes to its slot's primary (command::routing_key), each
// node's share in one pipelined write, all nodes at once; replies come back in the caller's order.
//
// Redirections are followed here, so callers see what a single Redis would answer:
// - MOVED: the slot has a new owner: the map entry is updated (and the whole map refreshed in the
//   background), the command sent there.
// - ASK: the slot is being migrated and the key is not here: ASKING + the command to the node
//   named, once, the map left alone.
// - TRYAGAIN, CLUSTERDOWN: the command did not run; it is sent again after a short back-off.
// A command still redirected after max_redirects rounds is answered with its last error reply.
// None of these ran the command, so sending it again never runs it twice.
#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include "herald/config/config.hpp"
#include "herald/redis/client.hpp"
#include "herald/redis/cluster_slots.hpp"
#include "herald/util/host_port.hpp"

namespace herald::redis::detail {

class cluster_router : public std::enable_shared_from_this<cluster_router> {
 public:
  static constexpr int max_redirects = 5;

  cluster_router(boost::asio::any_io_executor executor, config::redis_config cfg);
  ~cluster_router();

  void start();
  void stop();
  // A slot map is known and every primary in it is connected.
  bool is_connected() const noexcept { return is_up_; }
  std::uint64_t round_trips() const noexcept;
  cluster_counts counts() const noexcept {
    auto c = counts_;
    c.primaries = primaries_;
    return c;
  }

  std::function<void(bool)> on_change;
  std::function<void(const std::string&)> on_refused;
  std::function<void(std::uint8_t, std::chrono::steady_clock::duration)> on_round_trip;

  static boost::asio::awaitable<result<std::vector<reply>>> exec(std::shared_ptr<cluster_router> self,
                                                                  std::vector<command> commands, std::uint8_t tag);

 private:
  struct node {
    host_port address;
    std::unique_ptr<client> link;
    bool is_up = false;
    bool owns_slots = false;
  };

  node& node_at(const host_port& address);
  int index_of(const host_port& address);
  void apply_map(const std::vector<slot_range>& ranges, const host_port& asked);
  void update_state();
  void want_refresh();
  boost::asio::awaitable<void> refresh_loop();
  boost::asio::awaitable<bool> refresh_once();
  // Sends each node's commands (by index into `commands`; with ASKING before those marked) and
  // fills replies[i]; fails if any node's request failed.
  boost::asio::awaitable<status> send_round(const std::vector<command>& commands, const std::vector<int>& targets,
                                            const std::vector<bool>& asking, const std::vector<std::size_t>& pending,
                                            std::vector<reply>& replies, std::uint8_t tag);

  boost::asio::any_io_executor executor_;
  config::redis_config cfg_;
  std::vector<std::unique_ptr<node>> nodes_;  // never removed: indices stay valid
  std::array<std::int16_t, cluster_slot_count> owner_;
  bool has_map_ = false;
  bool is_up_ = false;
  bool is_started_ = false;
  bool is_stopped_ = false;
  bool is_refresh_wanted_ = true;
  cluster_counts counts_;
  std::size_t next_asked_ = 0;  // the node a refresh asks first (refresh_once)
  boost::asio::steady_timer refresh_timer_;
  std::size_t primaries_ = 0;
};

}  // namespace herald::redis::detail
