#include "check_connect_command.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <ostream>
#include <set>

#include "endpoint_check.hpp"
#include "exit_codes.hpp"
#include "herald/util/log.hpp"
#include "herald/config/load.hpp"
#include "herald/ledger/ledger_script.hpp"
#include "herald/redis/client.hpp"
#include "herald/redis/script.hpp"
#include "herald/redis/server_version.hpp"
#include "kafka_handle.hpp"

namespace herald::app {
namespace {

namespace asio = boost::asio;

struct report {
  std::ostream& out;
  int failures = 0;
  void line(bool is_ok, const std::string& what, const std::string& detail) {
    if (!is_ok) ++failures;
    out << (is_ok ? "OK   " : "FAIL ") << what << ": " << detail << "\n" << std::flush;
  }
};

// --- Kafka ---------------------------------------------------------------------------------------

// One handle per role, with that role's properties (consumer_properties / producer_properties:
// their credentials may differ), asking for each topic's metadata as the worker's clients would.
void check_topics(report& r, const config::kafka_config& k, rd_kafka_type_t type, const std::string& role,
                  const std::map<std::string, std::string>& properties, const std::vector<std::string>& topics,
                  std::uint32_t timeout_ms) {
  const std::string what = "kafka " + role + " client (" + (type == RD_KAFKA_CONSUMER ? "consumer_properties" : "producer_properties") + ")";
  std::unique_ptr<kafka_handle> h;
  try {
    h = std::make_unique<kafka_handle>(type, kafka_handle::settings{{"bootstrap.servers", k.brokers}, {"client.id", k.client_id + "-check"}},
                                       properties, kafka_handle::settings{{"allow.auto.create.topics", "false"}});
  } catch (const std::exception& e) {
    r.line(false, what, e.what());
    return;
  }
  const rd_kafka_metadata_t* md = nullptr;
  // Brokers first: when none answers, one line says so rather than one timeout per topic.
  rd_kafka_resp_err_t err = rd_kafka_metadata(h->get(), 0, nullptr, &md, static_cast<int>(timeout_ms));
  if (err) {
    r.line(false, what, "no broker of " + k.brokers + " answered within " + std::to_string(timeout_ms) + " ms: " +
                            rd_kafka_err2str(err) + with_cause(*h));
    for (const auto& t : topics) r.line(false, "kafka topic " + t + " (" + role + ")", "not checked: no broker answered");
    return;
  }
  r.line(true, what, std::to_string(md->broker_cnt) + " broker(s) in the cluster's metadata, reached through " + k.brokers);
  rd_kafka_metadata_destroy(md);
  for (const auto& t : topics) {
    const std::string label = "kafka topic " + t + " (" + role + ")";
    rd_kafka_topic_t* rkt = rd_kafka_topic_new(h->get(), t.c_str(), nullptr);
    md = nullptr;
    err = rd_kafka_metadata(h->get(), 0, rkt, &md, static_cast<int>(timeout_ms));
    rd_kafka_topic_destroy(rkt);
    if (err) {
      r.line(false, label, std::string("metadata: ") + rd_kafka_err2str(err) + with_cause(*h));
      continue;
    }
    if (md->topic_cnt != 1) {
      r.line(false, label, "the metadata answer names " + std::to_string(md->topic_cnt) + " topics");
    } else if (const auto& tm = md->topics[0]; tm.err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART) {
      r.line(false, label, "missing (Herald creates no topic: create it, docs/configuration.md)");
    } else if (tm.err) {
      r.line(false, label, rd_kafka_err2str(tm.err));
    } else {
      std::string leaderless;
      for (int p = 0; p < tm.partition_cnt; ++p)
        if (tm.partitions[p].leader < 0 || tm.partitions[p].err)
          leaderless += (leaderless.empty() ? "" : ",") + std::to_string(tm.partitions[p].id);
      if (!leaderless.empty())
        r.line(false, label, std::to_string(tm.partition_cnt) + " partitions, without a leader: " + leaderless);
      else
        r.line(true, label, std::to_string(tm.partition_cnt) + " partition(s)");
    }
    rd_kafka_metadata_destroy(md);
  }
}

void check_kafka(report& r, const config::kafka_config& k, std::uint32_t timeout_ms) {
  std::vector<std::string> consumed = k.topics;
  consumed.push_back(k.retry_topic);
  consumed.push_back(k.delay_topic);
  check_topics(r, k, RD_KAFKA_CONSUMER, "consumed", k.consumer_properties, consumed, timeout_ms);
  const std::vector<std::string> written{k.results_topic, k.dlq_topic, k.retry_topic, k.delay_topic};
  check_topics(r, k, RD_KAFKA_PRODUCER, "written", k.producer_properties, written, timeout_ms);
}

// --- Redis ---------------------------------------------------------------------------------------

using tcp = asio::ip::tcp;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

struct redis_probe {
  const config::herald_config& cfg;
  redis::client client;
  std::string tcp_failure;  // why the plain TCP connect failed ("" when it did not)
  bool is_tcp_done = false;
  std::string refused;      // the client's reason for refusing the server (its version)
  bool is_done = false;
  std::vector<std::pair<bool, std::pair<std::string, std::string>>> lines;

  redis_probe(asio::io_context& io, const config::herald_config& c) : cfg(c), client(io.get_executor(), c.redis) {}

  // A TCP connect of its own first: the client retries quietly, this names the cause.
  asio::awaitable<void> connect_tcp() {
    const auto ex = co_await asio::this_coro::executor;
    tcp::resolver resolver(ex);
    auto [rec, results] = co_await resolver.async_resolve(cfg.redis.host, std::to_string(cfg.redis.port), use_tuple);
    if (rec) {
      tcp_failure = "resolve " + cfg.redis.host + ": " + rec.message();
    } else {
      tcp::socket socket(ex);
      auto [cec, peer] = co_await asio::async_connect(socket, results, use_tuple);
      (void)peer;
      if (cec) tcp_failure = "connect " + cfg.redis.host + ":" + std::to_string(cfg.redis.port) + ": " + cec.message();
    }
    is_tcp_done = true;
  }

  asio::awaitable<void> after_handshake() {
    std::vector<redis::command> commands{redis::command{"PING"}, redis::command{"INFO", "server"}};
    const std::pair<const char*, const std::string*> scripts[] = {{"reserve", &ledger::reserve_script()},
                                                                  {"write", &ledger::write_script()},
                                                                  {"settle", &ledger::settle_script()}};
    for (const auto& [name, text] : scripts) commands.push_back(redis::command{"SCRIPT", "LOAD", *text});
    auto replies = co_await client.exec(std::move(commands));
    if (!replies) {
      lines.push_back({false, {"redis commands", replies.message()}});
    } else {
      const auto& rs = replies.value();
      const auto& ping = rs[0];
      lines.push_back({!ping.is_error() && ping.str == "PONG", {"redis PING", ping.is_error() ? ping.str : "answered " + redis::describe(ping)}});
      if (rs[1].is_error()) {
        lines.push_back({false, {"redis version", "INFO server: " + rs[1].str}});
      } else if (auto v = redis::parse_redis_version(rs[1].str); !v) {
        lines.push_back({false, {"redis version", v.message()}});
      } else {
        lines.push_back({*v >= redis::min_server_version,
                         {"redis version", "Redis " + redis::to_string(*v) + " (Herald needs " +
                                               redis::to_string(redis::min_server_version) + " or later)"}});
      }
      for (std::size_t i = 0; i < 3; ++i) {
        const auto& rep = rs[2 + i];
        const std::string label = std::string("redis script ") + scripts[i].first;
        const std::string sha = redis::script(*scripts[i].second).sha1();
        if (rep.is_error()) lines.push_back({false, {label, "SCRIPT LOAD: " + rep.str}});
        else if (rep.str != sha) lines.push_back({false, {label, "SCRIPT LOAD answered " + redis::describe(rep) + ", expected " + sha}});
        else lines.push_back({true, {label, "loaded, sha1 " + sha}});
      }
    }
    is_done = true;
    client.stop();
  }
};

void check_redis(report& r, const config::herald_config& cfg, std::uint32_t timeout_ms) {
  const std::string where = "redis " + cfg.redis.host + ":" + std::to_string(cfg.redis.port) +
                            (cfg.redis.db ? " db " + std::to_string(cfg.redis.db) : "") +
                            (cfg.redis.username.empty() ? "" : " user " + cfg.redis.username);
  asio::io_context io(1);
  auto p = std::make_shared<redis_probe>(io, cfg);
  asio::co_spawn(io, [p] { return p->connect_tcp(); }, [](std::exception_ptr) {});
  // Raw pointers: the client holds these callbacks, and p holds the client.
  redis_probe* raw = p.get();
  p->client.on_server_refused([raw](const std::string& why) { raw->refused = why; });
  p->client.on_connection_change([p = std::weak_ptr<redis_probe>(p), &io](bool is_up) {
    auto probe = p.lock();
    if (is_up && probe && !probe->is_done)
      asio::co_spawn(io, [probe] { return probe->after_handshake(); }, [](std::exception_ptr) {});
  });
  p->client.start();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (!p->is_done && std::chrono::steady_clock::now() < deadline) {
    io.run_for(std::chrono::milliseconds(20));
    // The client keeps retrying a server it refused (a failover may bring a newer one): once is enough here.
    if (!p->refused.empty()) break;
    if (p->is_tcp_done && !p->tcp_failure.empty()) break;
  }
  p->client.stop();
  if (!p->tcp_failure.empty()) {
    r.line(false, where, p->tcp_failure);
  } else if (!p->refused.empty()) {
    r.line(false, where, p->refused);
  } else if (!p->is_done) {
    r.line(false, where, std::string(p->is_tcp_done ? "TCP connect OK, but the handshake (AUTH, SELECT, PING, INFO) did not succeed"
                                                    : "no connection") +
                             " within " + std::to_string(timeout_ms) +
                             " ms (the \"redis unavailable\" log line above says what the server answered)");
  } else {
    r.line(true, where, "connected (the worker's handshake: AUTH as configured, SELECT, PING, INFO)");
  }
  for (const auto& [is_ok, text] : p->lines) r.line(is_ok, text.first, text.second);
  io.run_for(std::chrono::milliseconds(10));  // lets the stopped client's handlers finish
}

// --- Gateways ------------------------------------------------------------------------------------

void check_gateways(report& r, const config::herald_config& cfg, std::uint32_t timeout_ms) {
  for (const auto& [name, account] : cfg.accounts) {
    std::vector<std::pair<std::string, const config::endpoint*>> endpoints{{"endpoint", &account.endpoint}};
    if (account.receipt_endpoint) endpoints.push_back({"receipt_endpoint", &*account.receipt_endpoint});
    for (const auto& [role, ep] : endpoints) {
      const auto c = check_endpoint(*ep, cfg.http, timeout_ms);
      r.line(c.is_ok, "account " + name + " " + role + " " + config::redact_url(ep->url), c.detail);
    }
  }
}

}  // namespace

int run_check_connect(const config::herald_config& cfg, std::uint32_t timeout_ms, std::ostream& out) {
  // The clients' info lines (connected, stopped) would come between the command's own; warnings stay.
  log::set_level(log::level::warn);
  report r{out};
  check_kafka(r, cfg.kafka, timeout_ms);
  check_redis(r, cfg, timeout_ms);
  check_gateways(r, cfg, timeout_ms);
  if (r.failures) {
    out << r.failures << " check(s) FAILED\n";
    return exit_found;
  }
  out << "all checks OK\n";
  return exit_ok;
}

}  // namespace herald::app
