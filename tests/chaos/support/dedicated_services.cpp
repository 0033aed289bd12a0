#include "chaos/support/dedicated_services.hpp"

#include <hiredis/hiredis.h>
#include <librdkafka/rdkafka.h>
#include <signal.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <stdexcept>
#include <thread>

namespace herald::chaos {
namespace fs = std::filesystem;
using namespace std::chrono_literals;

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
