#include "cluster_router.hpp"

#include <algorithm>
#include <exception>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "herald/util/log.hpp"

namespace herald::redis::detail {

namespace asio = boost::asio;

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
// A map is asked for again this often even when nothing was redirected: a resharding that moved
// slots no command of ours touched yet, or a node added.
constexpr auto periodic_refresh = std::chrono::seconds(30);

// The back-off before a TRYAGAIN/CLUSTERDOWN command is sent again: 25 ms doubling, so that five
// rounds wait ~0.8 s in all, within a migration's key batch or a failover's first seconds.
std::chrono::milliseconds busy_delay(int round) { return std::chrono::milliseconds(25 << std::min(round, 5)); }

std::string where(const host_port& a) { return to_string(a); }

}  // namespace

cluster_router::cluster_router(asio::any_io_executor executor, config::redis_config cfg)
    : executor_(std::move(executor)), cfg_(std::move(cfg)), refresh_timer_(executor_) {
  owner_.fill(-1);
  for (const auto& seed : cfg_.cluster_nodes) {
    auto address = parse_host_port(seed);
    if (!address) throw std::invalid_argument("redis.cluster_nodes: " + address.message());
    node_at(address.value());
  }
}

cluster_router::~cluster_router() { stop(); }

std::uint64_t cluster_router::round_trips() const noexcept {
  std::uint64_t n = 0;
  for (const auto& nd : nodes_) n += nd->link->round_trips();
  return n;
}

int cluster_router::index_of(const host_port& address) {
  for (std::size_t i = 0; i < nodes_.size(); ++i)
    if (nodes_[i]->address == address) return static_cast<int>(i);
  node_at(address);
  return static_cast<int>(nodes_.size() - 1);
}

cluster_router::node& cluster_router::node_at(const host_port& address) {
  for (auto& nd : nodes_)
    if (nd->address == address) return *nd;
  auto nd = std::make_unique<node>();
  nd->address = address;
  config::redis_config one = cfg_;
  one.cluster_nodes.clear();
  one.host = address.host;
  one.port = address.port;
  nd->link = std::make_unique<client>(executor_, std::move(one));
  node* raw = nd.get();
  // The callbacks run inside the node's client, which this router owns (a client's destructor
  // calls none of them), so `this` outlives every call.
  nd->link->on_connection_change([this, raw](bool is_up) {
    raw->is_up = is_up;
    if (!is_up) want_refresh();
    else if (!has_map_) want_refresh();
    update_state();
  });
  nd->link->on_server_refused([this](const std::string& why) {
    if (on_refused) on_refused(why);
  });
  nd->link->on_round_trip([this](std::uint8_t tag, std::chrono::steady_clock::duration took) {
    if (on_round_trip) on_round_trip(tag, took);
  });
  nodes_.push_back(std::move(nd));
  if (is_started_ && !is_stopped_) raw->link->start();
  return *raw;
}

void cluster_router::start() {
  if (is_started_) return;
  is_started_ = true;
  for (auto& nd : nodes_) nd->link->start();
  asio::co_spawn(executor_, [self = shared_from_this()] { return self->refresh_loop(); }, [](std::exception_ptr e) {
    if (e) std::rethrow_exception(e);
  });
}

void cluster_router::stop() {
  if (is_stopped_) return;
  is_stopped_ = true;
  refresh_timer_.cancel();
  for (auto& nd : nodes_) nd->link->stop();
  if (is_up_) {
    is_up_ = false;
    if (on_change) on_change(false);
  }
}

void cluster_router::want_refresh() {
  is_refresh_wanted_ = true;
  refresh_timer_.cancel();
}

void cluster_router::update_state() {
  bool up = has_map_ && !is_stopped_ && primaries_ > 0;
  for (const auto& nd : nodes_)
    if (nd->owns_slots && !nd->is_up) up = false;
  if (up == is_up_) return;
  is_up_ = up;
  if (up) {
    log::info("redis cluster connected", {{"primaries", static_cast<std::int64_t>(primaries_)}});
  } else if (!is_stopped_) {
    log::warn("redis cluster not usable: a primary is down or the slot map is unknown",
              {{"primaries", static_cast<std::int64_t>(primaries_)}});
  }
  if (on_change) on_change(up);
}

void cluster_router::apply_map(const std::vector<slot_range>& ranges, const host_port& asked) {
  owner_.fill(-1);
  for (auto& nd : nodes_) nd->owns_slots = false;
  std::size_t covered = 0;
  for (const auto& r : ranges) {
    // A node that does not know its own address writes "": it is the one that answered.
    const host_port at{r.host.empty() ? asked.host : r.host, r.port};
    const int i = index_of(at);
    nodes_[static_cast<std::size_t>(i)]->owns_slots = true;
    for (unsigned s = r.first; s <= r.last; ++s) owner_[s] = static_cast<std::int16_t>(i);
    covered += r.last - r.first + 1u;
  }
  primaries_ = static_cast<std::size_t>(std::count_if(nodes_.begin(), nodes_.end(), [](const auto& nd) { return nd->owns_slots; }));
  has_map_ = true;
  if (covered != cluster_slot_count)
    log::warn("redis cluster: slots without a primary", {{"covered", static_cast<std::int64_t>(covered)}});
  log::debug("redis cluster slot map", {{"primaries", static_cast<std::int64_t>(primaries_)},
                                        {"ranges", static_cast<std::int64_t>(ranges.size())}});
}

asio::awaitable<bool> cluster_router::refresh_once() {
  const auto self = shared_from_this();  // the loop's frame keeps the router alive
  // Each refresh starts at the next node: right after a primary fails, the first node asked may
  // still list it, while another has seen the failover already.
  const std::size_t count = nodes_.size();
  const std::size_t first = count ? next_asked_++ % count : 0;
  for (std::size_t k = 0; k < count && !is_stopped_; ++k) {
    node& nd = *nodes_[(first + k) % count];
    if (!nd.is_up) continue;
    std::vector<command> ask;
    ask.push_back(command{"CLUSTER", "SLOTS"});
    auto r = co_await nd.link->exec(std::move(ask));
    if (is_stopped_) co_return false;
    if (!r) continue;
    ++counts_.map_reads;
    auto ranges = parse_cluster_slots(r->front());
    if (!ranges) {
      log::warn("redis cluster: unusable slot map", {{"node", where(nd.address)}, {"error", ranges.message()}});
      continue;
    }
    try {
      apply_map(ranges.value(), nd.address);
    } catch (const std::exception& e) {
      // A new primary's client could not be made (with TLS its context reads the key files
      // again, which fail mid-rotation): that node stays unknown, the refresh is tried again.
      log::warn("redis cluster: a node named in the slot map cannot be used", {{"error", e.what()}});
      update_state();
      co_return false;
    }
    update_state();
    co_return true;
  }
  co_return false;
}

asio::awaitable<void> cluster_router::refresh_loop() {
  const auto self = shared_from_this();
  auto delay = std::chrono::milliseconds(cfg_.reconnect_backoff_min_ms);
  while (!is_stopped_) {
    if (is_refresh_wanted_) {
      is_refresh_wanted_ = false;
      const bool answered = co_await refresh_once();
      if (is_stopped_) break;
      if (answered && is_up_) {
        delay = std::chrono::milliseconds(cfg_.reconnect_backoff_min_ms);
        if (is_refresh_wanted_) continue;  // asked for again while this one was on its way
      } else {
        // No node answered, or the map names a primary that is down (a failover not yet seen by
        // the node asked) or leaves slots uncovered: again after the back-off, not the period,
        // since nothing else would tell the router when the cluster heals (commands for a down
        // primary's slots fail here, they never reach a node that could answer MOVED).
        is_refresh_wanted_ = true;
        refresh_timer_.expires_after(delay);
        delay = std::min(delay * 2, std::chrono::milliseconds(cfg_.reconnect_backoff_max_ms));
        co_await refresh_timer_.async_wait(use_tuple);
        continue;
      }
    }
    if (is_stopped_) break;
    refresh_timer_.expires_after(periodic_refresh);
    const auto [ec] = co_await refresh_timer_.async_wait(use_tuple);
    if (!ec) is_refresh_wanted_ = true;  // the period ran out; a cancel means a refresh was asked for
  }
}

asio::awaitable<status> cluster_router::send_round(const std::vector<command>& commands, const std::vector<int>& targets,
                                                   const std::vector<bool>& asking,
                                                   const std::vector<std::size_t>& pending, std::vector<reply>& replies,
                                                   std::uint8_t tag) {
  // Each node's share, in the callers' order.
  struct share {
    int node = -1;
    std::vector<std::size_t> indices;
    std::vector<command> batch;
    result<std::vector<reply>> answer = make_error("not sent");
  };
  // Shared with the spawned requests, whose completions may run after this frame is gone (the
  // io_context torn down mid-wait).
  auto shares_owner = std::make_shared<std::vector<share>>();
  auto& shares = *shares_owner;
  for (const std::size_t i : pending) {
    auto it = std::find_if(shares.begin(), shares.end(), [&](const share& s) { return s.node == targets[i]; });
    if (it == shares.end()) {
      shares.emplace_back();
      it = shares.end() - 1;
      it->node = targets[i];
    }
    it->indices.push_back(i);
    if (asking[i]) it->batch.push_back(command{"ASKING"});
    it->batch.push_back(commands[i]);
  }
  if (shares.size() == 1) {
    shares[0].answer = co_await nodes_[static_cast<std::size_t>(shares[0].node)]->link->exec(std::move(shares[0].batch), tag);
  } else {
    // All nodes at once; this coroutine waits on a timer that the last answer cancels.
    struct gather {
      explicit gather(const asio::any_io_executor& ex) : done(ex) {}
      asio::steady_timer done;
      std::size_t remaining = 0;
    };
    auto state = std::make_shared<gather>(executor_);
    state->done.expires_at(asio::steady_timer::time_point::max());
    state->remaining = shares.size();
    for (std::size_t k = 0; k < shares.size(); ++k) {
      client& link = *nodes_[static_cast<std::size_t>(shares[k].node)]->link;
      // The awaitable holds the node's connection state itself, not the client.
      asio::co_spawn(
          executor_,
          [state, shares_owner, k, request = link.exec(std::move(shares[k].batch), tag)]() mutable -> asio::awaitable<void> {
            (*shares_owner)[k].answer = co_await std::move(request);
            if (--state->remaining == 0) state->done.cancel();
          },
          [state, shares_owner, k](std::exception_ptr e) {
            if (!e) return;
            (*shares_owner)[k].answer = make_error("redis cluster: request failed");
            if (--state->remaining == 0) state->done.cancel();
          });
    }
    while (state->remaining > 0) co_await state->done.async_wait(use_tuple);
  }
  for (auto& s : shares) {
    if (!s.answer) co_return s.answer.err();
    auto& got = s.answer.value();
    std::size_t at = 0;
    for (const std::size_t i : s.indices) {
      if (asking[i]) {
        // ASKING answers OK; anything else (an error) is the command's answer instead.
        if (at < got.size() && got[at].is_error()) {
          replies[i] = std::move(got[at]);
          at += 2;
          continue;
        }
        ++at;
      }
      if (at >= got.size()) co_return make_error("redis cluster: fewer replies than commands");
      replies[i] = std::move(got[at++]);
    }
  }
  co_return ok;
}

asio::awaitable<result<std::vector<reply>>> cluster_router::exec(std::shared_ptr<cluster_router> self,
                                                                 std::vector<command> commands, std::uint8_t tag) {
  if (commands.empty()) co_return std::vector<reply>{};
  if (!self->has_map_ || self->is_stopped_) co_return make_error("redis cluster: not connected (no slot map yet)");
  const std::size_t n = commands.size();
  std::vector<reply> replies(n);
  std::vector<int> targets(n, -1);  // a redirect's node for the next round; -1: the slot's owner
  std::vector<int> routed(n, -1);
  std::vector<bool> asking(n, false);
  std::vector<std::size_t> pending(n);
  for (std::size_t i = 0; i < n; ++i) pending[i] = i;
  for (int round = 0; !pending.empty(); ++round) {
    for (const std::size_t i : pending) {
      if (targets[i] >= 0) {
        routed[i] = targets[i];
        continue;
      }
      const std::string_view key = commands[i].routing_key();
      if (key.empty()) {
        // No key (SCRIPT LOAD, PING, INFO): any primary will do.
        const auto it = std::find_if(self->nodes_.begin(), self->nodes_.end(), [](const auto& nd) { return nd->owns_slots; });
        routed[i] = it == self->nodes_.end() ? -1 : static_cast<int>(it - self->nodes_.begin());
      } else {
        routed[i] = self->owner_[key_slot(key)];
      }
      if (routed[i] < 0)
        co_return make_error("redis cluster: slot " + std::to_string(key_slot(key)) + " has no primary in the slot map");
    }
    const status sent = co_await self->send_round(commands, routed, asking, pending, replies, tag);
    if (!sent) co_return sent.err();
    if (round == max_redirects) break;
    std::vector<std::size_t> again;
    bool is_busy = false;
    for (const std::size_t i : pending) {
      const reply& r = replies[i];
      targets[i] = -1;
      asking[i] = false;
      if (!r.is_error()) continue;
      if (auto to = parse_redirect(r.str)) {
        const auto& from = self->nodes_[static_cast<std::size_t>(routed[i])]->address;
        const host_port at{to->host.empty() ? from.host : to->host, to->port};
        int node = -1;
        try {
          node = self->index_of(at);
        } catch (const std::exception& e) {
          co_return make_error("redis cluster: redirected to " + where(at) + ", which cannot be used: " + e.what());
        }
        ++(to->type == redirect::kind::moved ? self->counts_.moved : self->counts_.ask);
        if (to->type == redirect::kind::moved) {
          // The slot's owner for good: used from now on, and the rest of the map checked.
          self->owner_[to->slot] = static_cast<std::int16_t>(node);
          self->nodes_[static_cast<std::size_t>(node)]->owns_slots = true;
          self->want_refresh();
        } else {
          asking[i] = true;
        }
        log::debug("redis cluster redirect", {{"kind", to->type == redirect::kind::moved ? "MOVED" : "ASK"},
                                              {"slot", static_cast<std::int64_t>(to->slot)}, {"node", where(at)}});
        targets[i] = node;
        again.push_back(i);
      } else if (is_cluster_busy(r)) {
        if (!is_busy) ++self->counts_.busy;
        is_busy = true;
        again.push_back(i);
      }
    }
    if (is_busy) {
      asio::steady_timer wait(self->executor_);
      wait.expires_after(busy_delay(round));
      co_await wait.async_wait(use_tuple);
      if (self->is_stopped_) co_return make_error("redis cluster: client stopped");
    }
    pending = std::move(again);
  }
  co_return replies;
}

}  // namespace herald::redis::detail
