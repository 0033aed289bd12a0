#include "chaos/support/dedicated_services.hpp"

#include <hiredis/hiredis.h>
#include <librdkafka/rdkafka.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <random>
#include <stdexcept>
#include <thread>
#include <tuple>

namespace herald::chaos {
namespace fs = std::filesystem;
using namespace std::chrono_literals;
constexpr unsigned cluster_slots = 16384;

scoped_env::scoped_env(std::map<std::string, std::string> values) {
  for (const auto& [k, v] : values) {
    const char* old = std::getenv(k.c_str());
    saved_[k] = old ? std::optional<std::string>(old) : std::nullopt;
    ::setenv(k.c_str(), v.c_str(), 1);
  }
}

scoped_env::~scoped_env() {
  for (const auto& [k, v] : saved_) {
    if (v) ::setenv(k.c_str(), v->c_str(), 1);
    else ::unsetenv(k.c_str());
  }
}

temp_dir::temp_dir(const std::string& prefix) {
  std::string pattern = (fs::temp_directory_path() / (prefix + "-XXXXXX")).string();
  if (!::mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed for " + pattern);
  path_ = pattern;
}

temp_dir::~temp_dir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

// --- Redis ------------------------------------------------------------------------------------

namespace {
bool redis_pings(int port) {
  redisContext* c = redisConnect("127.0.0.1", port);
  bool ok = false;
  if (c && !c->err) {
    auto* r = static_cast<redisReply*>(redisCommand(c, "PING"));
    ok = r && r->type == REDIS_REPLY_STATUS && std::string(r->str, r->len) == "PONG";
    if (r) freeReplyObject(r);
  }
  if (c) redisFree(c);
  return ok;
}
}  // namespace

dedicated_redis::dedicated_redis() : port_(test::free_port()), dir_("herald-chaos-redis") {}

dedicated_redis::~dedicated_redis() = default;  // the child_process destructor kills it

void dedicated_redis::start() {
  if (process_ && process_->is_running()) throw std::runtime_error("dedicated redis already runs");
  process_ = std::make_unique<test::child_process>(
      "redis", std::vector<std::string>{test::env_or("REDIS_SERVER_BIN", "redis-server"), "--port",
                                        std::to_string(port_), "--bind", "127.0.0.1", "--dir", dir_.path(),
                                        "--appendonly", "yes", "--appendfsync", "always", "--save", "",
                                        "--daemonize", "no", "--protected-mode", "yes"});
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (!redis_pings(port_)) {
    if (!process_->is_running() || std::chrono::steady_clock::now() > deadline)
      throw std::runtime_error("dedicated redis did not start: " + process_->log_tail());
    std::this_thread::sleep_for(50ms);
  }
}

void dedicated_redis::kill() {
  if (!process_) return;
  process_->signal(SIGKILL);
  process_->wait(10s);
}

bool dedicated_redis::is_running() { return process_ && process_->is_running(); }
std::string dedicated_redis::log_tail() const { return process_ ? process_->log_tail() : ""; }

// --- Redis Cluster ----------------------------------------------------------------------------

namespace {
using reply_ptr = std::unique_ptr<redisReply, decltype(&freeReplyObject)>;

bool port_bindable(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  ::close(fd);
  return ok;
}

// A port below the kernel's ephemeral range (so that port + 10000, the cluster bus, fits under
// 65536 and is not handed out to some client meanwhile) whose bus port is free too.
int free_cluster_port(const std::vector<int>& taken) {
  static std::mt19937 rng(std::random_device{}());
  std::uniform_int_distribution<int> pick(20000, 29999);
  for (int attempt = 0; attempt < 1000; ++attempt) {
    const int p = pick(rng);
    bool clash = false;
    for (const int t : taken) clash = clash || t == p || t + 10000 == p || t == p + 10000;
    if (!clash && port_bindable(p) && port_bindable(p + 10000)) return p;
  }
  throw std::runtime_error("no free port pair (port, port + 10000) for a Redis Cluster node");
}

std::string text_of(const redisReply* r) {
  switch (r->type) {
    case REDIS_REPLY_STRING:
    case REDIS_REPLY_STATUS:
    case REDIS_REPLY_ERROR: return std::string(r->str, r->len);
    case REDIS_REPLY_INTEGER: return std::to_string(r->integer);
    case REDIS_REPLY_NIL: return "(nil)";
    default: return "(array)";
  }
}

// One command on 127.0.0.1:port; an error reply or no connection throws.
reply_ptr node_command(int port, const std::vector<std::string>& args) {
  std::unique_ptr<redisContext, decltype(&redisFree)> c(redisConnect("127.0.0.1", port), &redisFree);
  if (!c || c->err)
    throw std::runtime_error("redis node " + std::to_string(port) + ": " + (c ? c->errstr : "cannot connect"));
  std::vector<const char*> argv;
  std::vector<size_t> lens;
  for (const auto& a : args) {
    argv.push_back(a.data());
    lens.push_back(a.size());
  }
  reply_ptr r(static_cast<redisReply*>(redisCommandArgv(c.get(), static_cast<int>(args.size()), argv.data(), lens.data())),
              &freeReplyObject);
  if (!r) throw std::runtime_error("redis node " + std::to_string(port) + ": " + c->errstr);
  if (r->type == REDIS_REPLY_ERROR)
    throw std::runtime_error("redis node " + std::to_string(port) + ": " + args.front() + " " +
                             (args.size() > 1 ? args[1] : "") + " answered " + text_of(r.get()));
  return r;
}

// CLUSTER SLOTS as "first-last:port" entries, sorted: two nodes agree when these are equal.
std::vector<std::tuple<unsigned, unsigned, int>> slot_map(int port) {
  const reply_ptr r = node_command(port, {"CLUSTER", "SLOTS"});
  std::vector<std::tuple<unsigned, unsigned, int>> out;
  for (size_t i = 0; r->type == REDIS_REPLY_ARRAY && i < r->elements; ++i) {
    const redisReply* e = r->element[i];
    if (e->type != REDIS_REPLY_ARRAY || e->elements < 3 || e->element[2]->type != REDIS_REPLY_ARRAY ||
        e->element[2]->elements < 2)
      throw std::runtime_error("redis node " + std::to_string(port) + ": unexpected CLUSTER SLOTS entry");
    out.emplace_back(static_cast<unsigned>(e->element[0]->integer), static_cast<unsigned>(e->element[1]->integer),
                     static_cast<int>(e->element[2]->element[1]->integer));
  }
  std::sort(out.begin(), out.end());
  return out;
}
}  // namespace

dedicated_redis_cluster::dedicated_redis_cluster(int primaries) {
  std::vector<int> taken;
  for (int i = 0; i < primaries; ++i) {
    node n;
    n.port = free_cluster_port(taken);
    taken.push_back(n.port);
    n.dir = std::make_unique<temp_dir>("herald-chaos-cluster");
    nodes_.push_back(std::move(n));
  }
  for (std::size_t i = 0; i < nodes_.size(); ++i) start(i);
  // As redis-cli --cluster create: distinct config epochs, even slot ranges, then MEET.
  const unsigned per = cluster_slots / static_cast<unsigned>(primaries);
  for (std::size_t i = 0; i < nodes_.size(); ++i) {
    const unsigned first = static_cast<unsigned>(i) * per;
    const unsigned last = i + 1 == nodes_.size() ? cluster_slots - 1 : first + per - 1;
    command(i, {"CLUSTER", "SET-CONFIG-EPOCH", std::to_string(i + 1)});
    command(i, {"CLUSTER", "ADDSLOTSRANGE", std::to_string(first), std::to_string(last)});
  }
  for (std::size_t i = 1; i < nodes_.size(); ++i) command(0, {"CLUSTER", "MEET", "127.0.0.1", std::to_string(nodes_[i].port)});
  if (!wait_until_ok(30s)) throw std::runtime_error("the dedicated Redis Cluster did not reach cluster_state:ok");
}

dedicated_redis_cluster::~dedicated_redis_cluster() = default;  // child_process kills, temp_dir removes

std::string dedicated_redis_cluster::seeds() const {
  std::string out;
  for (const auto& n : nodes_) out += (out.empty() ? "" : ",") + std::string("127.0.0.1:") + std::to_string(n.port);
  return out;
}

void dedicated_redis_cluster::start(std::size_t i) {
  node& n = nodes_.at(i);
  if (n.process && n.process->is_running()) throw std::runtime_error("dedicated cluster node already runs");
  n.process = std::make_unique<test::child_process>(
      "redis-cluster-node",
      std::vector<std::string>{test::env_or("REDIS_SERVER_BIN", "redis-server"), "--port", std::to_string(n.port),
                               "--bind", "127.0.0.1", "--dir", n.dir->path(), "--cluster-enabled", "yes",
                               "--cluster-config-file", "nodes.conf", "--cluster-node-timeout", "2000",
                               "--appendonly", "yes", "--appendfsync", "always", "--save", "", "--daemonize", "no",
                               "--protected-mode", "yes"});
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (!redis_pings(n.port)) {
    if (!n.process->is_running() || std::chrono::steady_clock::now() > deadline)
      throw std::runtime_error("dedicated cluster node did not start: " + n.process->log_tail());
    std::this_thread::sleep_for(50ms);
  }
}

void dedicated_redis_cluster::kill(std::size_t i) {
  node& n = nodes_.at(i);
  if (!n.process) return;
  n.process->signal(SIGKILL);
  n.process->wait(10s);
}

bool dedicated_redis_cluster::is_running(std::size_t i) {
  node& n = nodes_.at(i);
  return n.process && n.process->is_running();
}

bool dedicated_redis_cluster::wait_until_ok(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    bool ok = true;
    try {
      std::optional<std::vector<std::tuple<unsigned, unsigned, int>>> first;
      for (std::size_t i = 0; i < nodes_.size() && ok; ++i) {
        if (!is_running(i)) continue;
        const std::string info = command(i, {"CLUSTER", "INFO"});
        ok = info.find("cluster_state:ok") != std::string::npos &&
             info.find("cluster_known_nodes:" + std::to_string(nodes_.size())) != std::string::npos &&
             info.find("cluster_slots_ok:" + std::to_string(cluster_slots)) != std::string::npos;
        const auto map = slot_map(nodes_[i].port);
        if (!first) first = map;
        ok = ok && map == *first;
      }
    } catch (const std::exception&) {
      ok = false;
    }
    if (ok) return true;
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(100ms);
  }
}

std::string dedicated_redis_cluster::command(std::size_t i, const std::vector<std::string>& args) {
  return text_of(node_command(nodes_.at(i).port, args).get());
}

std::string dedicated_redis_cluster::node_id(std::size_t i) { return command(i, {"CLUSTER", "MYID"}); }

std::size_t dedicated_redis_cluster::owner_of(unsigned slot) {
  for (const auto& [first, last, port] : slot_map(nodes_.at(0).port))
    if (slot >= first && slot <= last)
      for (std::size_t i = 0; i < nodes_.size(); ++i)
        if (nodes_[i].port == port) return i;
  throw std::runtime_error("slot " + std::to_string(slot) + " has no owner in CLUSTER SLOTS");
}

std::vector<std::pair<unsigned, unsigned>> dedicated_redis_cluster::slots_of(std::size_t i) {
  std::vector<std::pair<unsigned, unsigned>> out;
  for (const auto& [first, last, port] : slot_map(nodes_.at(0).port))
    if (port == nodes_.at(i).port) out.emplace_back(first, last);
  return out;
}

long dedicated_redis_cluster::keys_in_slot(std::size_t i, unsigned slot) {
  return node_command(nodes_.at(i).port, {"CLUSTER", "COUNTKEYSINSLOT", std::to_string(slot)})->integer;
}

void dedicated_redis_cluster::begin_migration(unsigned first, unsigned last, std::size_t from, std::size_t to) {
  const std::string from_id = node_id(from), to_id = node_id(to);
  // Importing first, then migrating (redis-cli's order): a redirect never names a node that does
  // not accept the slot yet.
  for (unsigned s = first; s <= last; ++s) {
    command(to, {"CLUSTER", "SETSLOT", std::to_string(s), "IMPORTING", from_id});
    command(from, {"CLUSTER", "SETSLOT", std::to_string(s), "MIGRATING", to_id});
  }
}

long dedicated_redis_cluster::migrate_keys(unsigned first, unsigned last, std::size_t from, std::size_t to,
                                           int keys_per_migrate, std::chrono::milliseconds pause) {
  long moved = 0;
  for (unsigned s = first; s <= last; ++s) {
    for (;;) {
      const reply_ptr keys = node_command(nodes_.at(from).port, {"CLUSTER", "GETKEYSINSLOT", std::to_string(s),
                                                                  std::to_string(keys_per_migrate)});
      if (keys->type != REDIS_REPLY_ARRAY || keys->elements == 0) break;
      std::vector<std::string> args{"MIGRATE", "127.0.0.1", std::to_string(nodes_.at(to).port), "", "0", "5000", "KEYS"};
      for (size_t k = 0; k < keys->elements; ++k) args.push_back(text_of(keys->element[k]));
      node_command(nodes_.at(from).port, args);
      moved += static_cast<long>(keys->elements);
      std::this_thread::sleep_for(pause);
    }
  }
  return moved;
}

void dedicated_redis_cluster::finish_migration(unsigned first, unsigned last, std::size_t from, std::size_t to) {
  const std::string to_id = node_id(to);
  // The target first (it then owns the slots and bumps its epoch), the source, then the others.
  std::vector<std::size_t> order{to, from};
  for (std::size_t i = 0; i < nodes_.size(); ++i)
    if (i != to && i != from) order.push_back(i);
  for (const std::size_t i : order)
    for (unsigned s = first; s <= last; ++s) command(i, {"CLUSTER", "SETSLOT", std::to_string(s), "NODE", to_id});
}

std::string dedicated_redis_cluster::log_tail(std::size_t i) const {
  const auto& n = nodes_.at(i);
  return n.process ? n.process->log_tail() : "";
}

// --- Kafka ------------------------------------------------------------------------------------

bool kafka_answers(const std::string& brokers, std::chrono::milliseconds timeout) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  char err[512];
  rd_kafka_conf_set(conf, "bootstrap.servers", brokers.c_str(), err, sizeof err);
  rd_kafka_conf_set(conf, "log_level", "0", err, sizeof err);
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
  if (!rk) return false;
  const rd_kafka_metadata_t* md = nullptr;
  const bool ok = rd_kafka_metadata(rk, 1, nullptr, &md, static_cast<int>(timeout.count())) == RD_KAFKA_RESP_ERR_NO_ERROR &&
                  md->broker_cnt > 0;
  if (md) rd_kafka_metadata_destroy(md);
  rd_kafka_destroy(rk);
  return ok;
}

bool wait_for_topics(const std::string& brokers, const std::vector<std::string>& topics,
                     std::chrono::milliseconds timeout) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  char err[512];
  rd_kafka_conf_set(conf, "bootstrap.servers", brokers.c_str(), err, sizeof err);
  rd_kafka_conf_set(conf, "log_level", "0", err, sizeof err);
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
  if (!rk) return false;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  bool all = false;
  while (!all && std::chrono::steady_clock::now() < deadline) {
    const rd_kafka_metadata_t* md = nullptr;
    if (rd_kafka_metadata(rk, 1, nullptr, &md, 2000) == RD_KAFKA_RESP_ERR_NO_ERROR) {
      all = true;
      for (const auto& t : topics) {
        bool found = false;
        for (int i = 0; i < md->topic_cnt; ++i)
          found = found || (t == md->topics[i].topic && !md->topics[i].err && md->topics[i].partition_cnt > 0);
        all = all && found;
      }
      rd_kafka_metadata_destroy(md);
    }
    if (!all) std::this_thread::sleep_for(100ms);
  }
  rd_kafka_destroy(rk);
  return all;
}

std::optional<std::string> dedicated_kafka::libs_dir() {
  const fs::path root = test::env_or("HERALD_SOURCE_DIR", fs::current_path().string());
  std::error_code ec;
  const fs::path cache = root / "deploy" / "local" / ".cache";
  if (!fs::is_directory(cache, ec)) return std::nullopt;
  for (const auto& entry : fs::directory_iterator(cache, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("kafka-", 0) == 0 && fs::is_directory(entry.path() / "libs")) return (entry.path() / "libs").string();
  }
  return std::nullopt;
}

namespace {
// A KRaft cluster id: 16 random bytes, base64url without padding (22 characters).
std::string random_cluster_id() {
  static const char* alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::random_device rd;
  unsigned char b[16];
  for (auto& x : b) x = static_cast<unsigned char>(rd());
  std::string out;
  for (int i = 0; i < 16; i += 3) {
    const unsigned v = (b[i] << 16) | ((i + 1 < 16 ? b[i + 1] : 0) << 8) | (i + 2 < 16 ? b[i + 2] : 0);
    out += alphabet[(v >> 18) & 63];
    out += alphabet[(v >> 12) & 63];
    if (i + 1 < 16) out += alphabet[(v >> 6) & 63];
    if (i + 2 < 16) out += alphabet[v & 63];
  }
  return out;
}
}  // namespace

dedicated_kafka::dedicated_kafka()
    : port_(test::free_port()), controller_port_(test::free_port()), dir_("herald-chaos-kafka") {
  const auto libs = libs_dir();
  if (!libs) throw std::runtime_error("no Kafka jars under deploy/local/.cache (run deploy/local/install-deps)");
  libs_ = *libs;
  if (controller_port_ == port_) controller_port_ = test::free_port();
  const fs::path dir = dir_.path();
  fs::create_directories(dir / "data");
  fs::create_directories(dir / "logs");
  std::ofstream(dir / "server.properties")
      << "process.roles=broker,controller\n"
      << "node.id=1\n"
      << "controller.quorum.voters=1@127.0.0.1:" << controller_port_ << "\n"
      << "listeners=PLAINTEXT://127.0.0.1:" << port_ << ",CONTROLLER://127.0.0.1:" << controller_port_ << "\n"
      << "advertised.listeners=PLAINTEXT://127.0.0.1:" << port_ << "\n"
      << "controller.listener.names=CONTROLLER\n"
      << "inter.broker.listener.name=PLAINTEXT\n"
      << "listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT\n"
      << "log.dirs=" << (dir / "data").string() << "\n"
      << "num.partitions=1\n"
      << "default.replication.factor=1\n"
      // One replica of the internal topics, and few partitions: a fresh broker creates them on
      // first use, and 50 partitions each would cost the test seconds.
      << "offsets.topic.replication.factor=1\n"
      << "offsets.topic.num.partitions=4\n"
      << "transaction.state.log.replication.factor=1\n"
      << "transaction.state.log.min.isr=1\n"
      << "transaction.state.log.num.partitions=4\n"
      << "group.initial.rebalance.delay.ms=0\n"
      << "auto.create.topics.enable=false\n"
      << "delete.topic.enable=true\n";
  std::ofstream(dir / "log4j.properties")
      << "log4j.rootLogger=WARN, stderr\n"
      << "log4j.appender.stderr=org.apache.log4j.ConsoleAppender\n"
      << "log4j.appender.stderr.Target=System.err\n"
      << "log4j.appender.stderr.layout=org.apache.log4j.PatternLayout\n"
      << "log4j.appender.stderr.layout.ConversionPattern=[%d] %p %m (%c)%n\n"
      << "log4j.logger.kafka.server.KafkaServer=INFO\n"
      << "log4j.logger.kafka.server.BrokerServer=INFO\n";
  test::child_process format(
      "kafka-format",
      {"java", "-Xms32m", "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
       "-Dlog4j.configuration=file:" + (dir / "log4j.properties").string(), "-cp", libs_ + "/*",
       "kafka.tools.StorageTool", "format", "-t", random_cluster_id(), "-c", (dir / "server.properties").string()});
  const auto rc = format.wait(120s);
  if (!rc || *rc != 0) throw std::runtime_error("kafka storage format failed: " + format.log_tail());
}

dedicated_kafka::~dedicated_kafka() = default;

std::string dedicated_kafka::brokers() const { return "127.0.0.1:" + std::to_string(port_); }

std::chrono::milliseconds dedicated_kafka::start(std::chrono::seconds timeout) {
  if (process_ && process_->is_running()) throw std::runtime_error("dedicated kafka already runs");
  const auto t0 = std::chrono::steady_clock::now();
  const fs::path dir = dir_.path();
  process_ = std::make_unique<test::child_process>(
      "kafka", std::vector<std::string>{"java", "-Xms128m", "-Xmx512m", "-XX:+UseG1GC", "-XX:MaxGCPauseMillis=20",
                                        "-Djava.awt.headless=true", "-Dkafka.logs.dir=" + (dir / "logs").string(),
                                        "-Dlog4j.configuration=file:" + (dir / "log4j.properties").string(), "-cp",
                                        libs_ + "/*", "kafka.Kafka", (dir / "server.properties").string()});
  const auto deadline = t0 + timeout;
  while (!kafka_answers(brokers(), 1000ms)) {
    if (!process_->is_running() || std::chrono::steady_clock::now() > deadline)
      throw std::runtime_error("dedicated kafka did not start: " + process_->log_tail());
    std::this_thread::sleep_for(200ms);
  }
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0);
}

void dedicated_kafka::kill() {
  if (!process_) return;
  process_->signal(SIGKILL);
  process_->wait(20s);
}

int dedicated_kafka::stop(std::chrono::seconds timeout) {
  if (!process_) return -1;
  process_->signal(SIGTERM);
  if (auto rc = process_->wait(timeout)) return *rc;
  process_->signal(SIGKILL);
  return process_->wait(20s).value_or(-1);
}

bool dedicated_kafka::is_running() { return process_ && process_->is_running(); }
std::string dedicated_kafka::log_tail() const { return process_ ? process_->log_tail() : ""; }

}  // namespace herald::chaos
