#include "support/e2e_harness.hpp"

#include <fcntl.h>
#include <hiredis/hiredis.h>
#include <librdkafka/rdkafka.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_future.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <doctest/doctest.h>
#include <rapidjson/document.h>

#include "herald/config/load.hpp"
#include "herald/http/client_pool.hpp"
#include "support/test_certificates.hpp"

extern char** environ;

namespace herald::test {
namespace fs = std::filesystem;

std::string env_or(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return v && *v ? v : fallback;
}
std::string kafka_brokers() { return env_or("HERALD_KAFKA_BROKERS", "127.0.0.1:19092"); }
std::string redis_host() { return env_or("HERALD_REDIS_HOST", "127.0.0.1"); }
int redis_port() { return std::stoi(env_or("HERALD_REDIS_PORT", "16379")); }

std::string unique_name(const std::string& prefix) {
  static std::atomic<int> counter{0};
  return prefix + "-" + std::to_string(::getpid()) + "-" + std::to_string(++counter) + "-" +
         std::to_string(std::chrono::system_clock::now().time_since_epoch().count() % 1000000000);
}

static fs::path work_dir() {
  static fs::path dir = [] {
    fs::path d = fs::temp_directory_path() / unique_name("herald-it");
    fs::create_directories(d);
    return d;
  }();
  return dir;
}

// --- Kafka ----------------------------------------------------------------------------------

namespace {
rd_kafka_t* make_client(rd_kafka_type_t type, std::vector<std::pair<std::string, std::string>> props) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  char err[512];
  props.insert(props.begin(), {"bootstrap.servers", kafka_brokers()});
  for (auto& [k, v] : props)
    if (rd_kafka_conf_set(conf, k.c_str(), v.c_str(), err, sizeof err) != RD_KAFKA_CONF_OK)
      throw std::runtime_error("kafka conf " + k + ": " + err);
  rd_kafka_t* rk = rd_kafka_new(type, conf, err, sizeof err);
  if (!rk) throw std::runtime_error(std::string("rd_kafka_new: ") + err);
  return rk;
}
}  // namespace

void create_topic(const std::string& topic, int partitions) {
  rd_kafka_t* rk = make_client(RD_KAFKA_PRODUCER, {});
  char err[512];
  rd_kafka_NewTopic_t* nt = rd_kafka_NewTopic_new(topic.c_str(), partitions, 1, err, sizeof err);
  rd_kafka_queue_t* q = rd_kafka_queue_new(rk);
  rd_kafka_CreateTopics(rk, &nt, 1, nullptr, q);
  rd_kafka_event_t* ev = rd_kafka_queue_poll(q, 30000);
  std::string failure;
  if (!ev) failure = "timeout";
  else if (rd_kafka_event_error(ev)) failure = rd_kafka_event_error_string(ev);
  else {
    size_t n = 0;
    const rd_kafka_topic_result_t** res = rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev), &n);
    for (size_t i = 0; i < n; ++i)
      if (rd_kafka_topic_result_error(res[i]) && rd_kafka_topic_result_error(res[i]) != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS)
        failure = rd_kafka_topic_result_error_string(res[i]);
  }
  if (ev) rd_kafka_event_destroy(ev);
  rd_kafka_NewTopic_destroy(nt);
  rd_kafka_queue_destroy(q);
  rd_kafka_destroy(rk);
  if (!failure.empty()) throw std::runtime_error("create topic " + topic + ": " + failure);
}

std::vector<std::pair<std::int32_t, std::int64_t>> produce(const std::string& topic,
                                                           const std::vector<std::string>& values,
                                                           std::optional<std::int32_t> partition) {
  struct report {
    std::int32_t partition = -1;
    std::int64_t offset = -1;
    rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR_NO_ERROR;
  };
  std::vector<report> reports(values.size());
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  char err[512];
  rd_kafka_conf_set(conf, "bootstrap.servers", kafka_brokers().c_str(), err, sizeof err);
  rd_kafka_conf_set(conf, "linger.ms", "5", err, sizeof err);
  // Hostile-input tests produce records up to the broker's own limit (1 MiB), over librdkafka's 1 MB.
  rd_kafka_conf_set(conf, "message.max.bytes", "1048576", err, sizeof err);
  rd_kafka_conf_set_dr_msg_cb(conf, [](rd_kafka_t*, const rd_kafka_message_t* m, void*) {
    auto* r = static_cast<report*>(m->_private);
    r->partition = m->partition;
    r->offset = m->offset;
    r->err = m->err;
  });
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
  if (!rk) throw std::runtime_error(std::string("producer: ") + err);
  const std::int32_t target_partition = partition ? *partition : RD_KAFKA_PARTITION_UA;
  for (std::size_t i = 0; i < values.size(); ++i) {
    const std::string key = "k" + std::to_string(i);
    for (;;) {
      auto e = rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic.c_str()),
                                 RD_KAFKA_V_PARTITION(target_partition),
                                 RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                 RD_KAFKA_V_KEY(key.data(), key.size()),
                                 RD_KAFKA_V_VALUE(const_cast<char*>(values[i].data()), values[i].size()),
                                 RD_KAFKA_V_OPAQUE(&reports[i]), RD_KAFKA_V_END);
      if (e == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
        rd_kafka_poll(rk, 50);
        continue;
      }
      if (e) throw std::runtime_error(std::string("produce: ") + rd_kafka_err2str(e));
      break;
    }
  }
  rd_kafka_flush(rk, 30000);
  rd_kafka_destroy(rk);
  std::vector<std::pair<std::int32_t, std::int64_t>> out;
  for (const auto& r : reports) {
    if (r.err || r.offset < 0) throw std::runtime_error("produce: a message was not delivered");
    out.emplace_back(r.partition, r.offset);
  }
  return out;
}

std::vector<kafka_record> consume(const std::string& topic, std::size_t count, std::chrono::milliseconds timeout,
                                  std::chrono::milliseconds settle) {
  rd_kafka_t* rk = make_client(RD_KAFKA_CONSUMER, {{"group.id", unique_name("reader")},
                                                   {"auto.offset.reset", "earliest"},
                                                   {"enable.auto.commit", "false"}});
  rd_kafka_poll_set_consumer(rk);
  // Assign every partition from the beginning: no group join, so reading starts at once.
  rd_kafka_topic_t* rkt = rd_kafka_topic_new(rk, topic.c_str(), nullptr);
  const rd_kafka_metadata_t* md = nullptr;
  if (rd_kafka_metadata(rk, 0, rkt, &md, 10000) != RD_KAFKA_RESP_ERR_NO_ERROR || md->topic_cnt != 1 ||
      md->topics[0].err)
    throw std::runtime_error("no metadata for topic " + topic);
  auto* parts = rd_kafka_topic_partition_list_new(md->topics[0].partition_cnt);
  for (int i = 0; i < md->topics[0].partition_cnt; ++i)
    rd_kafka_topic_partition_list_add(parts, topic.c_str(), md->topics[0].partitions[i].id)->offset =
        RD_KAFKA_OFFSET_BEGINNING;
  rd_kafka_metadata_destroy(md);
  rd_kafka_topic_destroy(rkt);
  rd_kafka_assign(rk, parts);
  rd_kafka_topic_partition_list_destroy(parts);
  std::vector<kafka_record> out;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  std::optional<std::chrono::steady_clock::time_point> settle_until;
  for (;;) {
    auto now = std::chrono::steady_clock::now();
    if (settle_until ? now >= *settle_until : now >= deadline) break;
    rd_kafka_message_t* m = rd_kafka_consumer_poll(rk, 100);
    if (m && !m->err) {
      kafka_record r;
      r.key.assign(static_cast<const char*>(m->key ? m->key : ""), m->key_len);
      r.value.assign(static_cast<const char*>(m->payload ? m->payload : ""), m->len);
      r.is_key_null = m->key == nullptr;
      r.is_value_null = m->payload == nullptr;
      r.partition = m->partition;
      r.offset = m->offset;
      rd_kafka_headers_t* hdrs = nullptr;
      if (rd_kafka_message_headers(m, &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR) {
        const char* name;
        const void* val;
        size_t size;
        for (size_t i = 0; rd_kafka_header_get_all(hdrs, i, &name, &val, &size) == RD_KAFKA_RESP_ERR_NO_ERROR; ++i)
          r.headers[name] = std::string(static_cast<const char*>(val), size);
      }
      out.push_back(std::move(r));
    }
    if (m) rd_kafka_message_destroy(m);
    if (!settle_until && out.size() >= count) settle_until = std::chrono::steady_clock::now() + settle;
  }
  rd_kafka_consumer_close(rk);
  rd_kafka_destroy(rk);
  return out;
}

// --- Redis ----------------------------------------------------------------------------------

namespace {
std::string reply_text(const redisReply* r) {
  switch (r->type) {
    case REDIS_REPLY_STRING:
    case REDIS_REPLY_STATUS:
    case REDIS_REPLY_ERROR: return std::string(r->str, r->len);
    case REDIS_REPLY_INTEGER: return std::to_string(r->integer);
    case REDIS_REPLY_NIL: return "(nil)";
    default: return "(array)";
  }
}

redisReply* run_command(redisContext* c, const std::vector<std::string>& args) {
  std::vector<const char*> argv;
  std::vector<size_t> lens;
  for (const auto& a : args) {
    argv.push_back(a.data());
    lens.push_back(a.size());
  }
  auto* r = static_cast<redisReply*>(redisCommandArgv(c, static_cast<int>(args.size()), argv.data(), lens.data()));
  if (!r) throw std::runtime_error(std::string("redis: ") + c->errstr);
  return r;
}

redisContext* connect_to(const std::string& host, int port) {
  redisContext* c = redisConnect(host.c_str(), port);
  if (!c || c->err) {
    if (c) redisFree(c);
    throw std::runtime_error("redis is not reachable at " + host + ":" + std::to_string(port));
  }
  return c;
}

redisContext* connect_redis() { return connect_to(redis_host(), redis_port()); }

using reply_ptr = std::unique_ptr<redisReply, decltype(&freeReplyObject)>;
using context_ptr = std::unique_ptr<redisContext, decltype(&redisFree)>;

reply_ptr command_at(redisContext* c, const std::vector<std::string>& args) {
  return reply_ptr(run_command(c, args), &freeReplyObject);
}

struct redis_address {
  std::string host;
  int port = 0;
};

// "host:port", also with a cluster bus port ("host:port@cport", CLUSTER NODES).
redis_address parse_address(const std::string& text) {
  const std::string address = text.substr(0, text.find('@'));
  const auto colon = address.rfind(':');
  if (colon == std::string::npos || colon + 1 == address.size())
    throw std::runtime_error("not a host:port Redis address: '" + text + "'");
  return {address.substr(0, colon), std::stoi(address.substr(colon + 1))};
}

// A connection to the first seed node that accepts one (a node of the cluster may be down).
context_ptr connect_cluster_seed() {
  std::string failures;
  for (const auto& seed : redis_cluster_nodes()) {
    const auto a = parse_address(seed);
    try {
      return context_ptr(connect_to(a.host, a.port), &redisFree);
    } catch (const std::exception& e) {
      failures += std::string(failures.empty() ? "" : "; ") + e.what();
    }
  }
  throw std::runtime_error("no seed node of the Redis Cluster answers: " + failures);
}

// A command on the cluster: sent to a seed node, then to the node that serves its key for as long
// as the answer is a redirection ("MOVED <slot> <host:port>", or "ASK ..." during a slot
// migration, which wants ASKING first). Keyless commands run on the first seed that answers.
reply_ptr cluster_command(const std::vector<std::string>& args) {
  context_ptr c = connect_cluster_seed();
  bool asking = false;
  for (int redirects = 0; redirects <= 5; ++redirects) {
    if (asking) command_at(c.get(), {"ASKING"});
    reply_ptr r = command_at(c.get(), args);
    if (r->type != REDIS_REPLY_ERROR) return r;
    const std::string error(r->str, r->len);
    const bool moved = error.rfind("MOVED ", 0) == 0;
    asking = error.rfind("ASK ", 0) == 0;
    if (!moved && !asking) return r;
    const auto a = parse_address(error.substr(error.rfind(' ') + 1));
    c = context_ptr(connect_to(a.host, a.port), &redisFree);
  }
  throw std::runtime_error("redis cluster: " + args.front() + " redirected more than 5 times");
}

// Every primary of the cluster as CLUSTER NODES lists them, a failed one too: reading from it
// must fail the test, not leave its keys out.
std::vector<redis_address> cluster_primaries() {
  reply_ptr r = cluster_command({"CLUSTER", "NODES"});
  if (r->type != REDIS_REPLY_STRING)
    throw std::runtime_error("redis cluster: CLUSTER NODES answered " + reply_text(r.get()));
  std::vector<redis_address> out;
  std::istringstream lines(std::string(r->str, r->len));
  for (std::string line; std::getline(lines, line);) {
    std::istringstream fields(line);
    std::string id, address, flags;
    if (!(fields >> id >> address >> flags)) continue;
    if (("," + flags + ",").find(",master,") != std::string::npos) out.push_back(parse_address(address));
  }
  if (out.empty()) throw std::runtime_error("redis cluster: CLUSTER NODES lists no primary");
  return out;
}

std::vector<std::string> keys_at(redisContext* c, const std::string& pattern) {
  reply_ptr r = command_at(c, {"KEYS", pattern});
  if (r->type != REDIS_REPLY_ARRAY) throw std::runtime_error("redis: KEYS answered " + reply_text(r.get()));
  std::vector<std::string> out;
  for (size_t i = 0; i < r->elements; ++i) out.push_back(reply_text(r->element[i]));
  return out;
}
}  // namespace

bool redis_cluster_mode() { return env_or("HERALD_TEST_REDIS_CLUSTER", "0") == "1"; }

std::vector<std::string> redis_cluster_nodes() {
  std::vector<std::string> out;
  std::istringstream in(env_or("HERALD_REDIS_CLUSTER_NODES", "127.0.0.1:17001,127.0.0.1:17002,127.0.0.1:17003"));
  for (std::string node; std::getline(in, node, ',');)
    if (!node.empty()) out.push_back(node);
  return out;
}

std::string redis_command(const std::vector<std::string>& args) {
  if (redis_cluster_mode()) return reply_text(cluster_command(args).get());
  context_ptr c(connect_redis(), &redisFree);
  return reply_text(command_at(c.get(), args).get());
}

std::vector<std::string> redis_keys(const std::string& pattern) {
  if (!redis_cluster_mode()) {
    context_ptr c(connect_redis(), &redisFree);
    return keys_at(c.get(), pattern);
  }
  // Each primary holds the keys of its own slots only.
  std::vector<std::string> out;
  for (const auto& a : cluster_primaries()) {
    context_ptr c(connect_to(a.host, a.port), &redisFree);
    for (auto& k : keys_at(c.get(), pattern)) out.push_back(std::move(k));
  }
  return out;
}

std::unique_ptr<child_process> start_dedicated_redis(int port) {
  std::vector<std::string> argv{"redis-server", "--port", std::to_string(port), "--bind", "127.0.0.1",
                                "--save", "", "--appendonly", "no"};
  if (!redis_cluster_mode()) return std::make_unique<child_process>("redis", std::move(argv));
  // A cluster of this one node (its nodes.conf in a directory of its own), serving every slot
  // once they are assigned to it.
  const fs::path dir = work_dir() / unique_name("redis-node");
  fs::create_directories(dir);
  for (const std::string a : {"--cluster-enabled", "yes", "--dir", dir.c_str()}) argv.push_back(a);
  auto server = std::make_unique<child_process>("redis", std::move(argv));
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  for (;;) {
    context_ptr c(redisConnect("127.0.0.1", port), &redisFree);
    if (c && !c->err) {
      reply_ptr r = command_at(c.get(), {"CLUSTER", "ADDSLOTSRANGE", "0", "16383"});
      if (r->type == REDIS_REPLY_ERROR) throw std::runtime_error("CLUSTER ADDSLOTSRANGE: " + reply_text(r.get()));
      return server;
    }
    if (!server->is_running() || std::chrono::steady_clock::now() > deadline)
      throw std::runtime_error("the test's own redis-server did not start: " + server->log_tail());
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

// --- Child processes ------------------------------------------------------------------------

child_process::child_process(const std::string& name, std::vector<std::string> argv,
                             std::map<std::string, std::string> env)
    : name_(name) {
  log_path_ = (work_dir() / unique_name(name)).string() + ".log";
  std::map<std::string, std::string> full_env;
  for (char** e = environ; *e; ++e) {
    std::string kv(*e);
    auto eq = kv.find('=');
    if (eq != std::string::npos) full_env[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  for (auto& [k, v] : env) full_env[k] = v;
  std::vector<std::string> env_strings;
  for (auto& [k, v] : full_env) env_strings.push_back(k + "=" + v);
  std::vector<char*> envp, args;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  for (auto& s : argv) args.push_back(s.data());
  args.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, log_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  int rc = posix_spawnp(&pid_, args[0], &actions, nullptr, args.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) throw std::runtime_error("cannot start " + argv[0] + ": " + std::strerror(rc));
}

child_process::~child_process() {
  if (is_running()) {
    signal(SIGKILL);
    wait(std::chrono::seconds(10));
  }
}

void child_process::signal(int signo) {
  if (pid_ > 0 && !exit_code_) ::kill(pid_, signo);
}

bool child_process::is_running() {
  if (exit_code_ || pid_ <= 0) return false;
  int st = 0;
  pid_t r = ::waitpid(pid_, &st, WNOHANG);
  if (r == pid_) {
    exit_code_ = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    return false;
  }
  return true;
}

std::optional<int> child_process::wait(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (is_running()) {
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return exit_code_;
}

std::string child_process::log_tail(std::size_t bytes) const {
  std::ifstream in(log_path_, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string all = ss.str();
  return all.size() > bytes ? all.substr(all.size() - bytes) : all;
}

// --- The gateway simulator ------------------------------------------------------------------

static void write_file(const fs::path& p, const std::string& text) {
  std::ofstream out(p, std::ios::binary);
  out << text;
}

const tls_files& test_tls() {
  static tls_files files = [] {
    http_test::test_ca ca("herald-test-ca");
    auto server = ca.issue_server("127.0.0.1", "IP:127.0.0.1,DNS:localhost");
    tls_files f{(work_dir() / "ca.pem").string(), (work_dir() / "server.pem").string(),
                (work_dir() / "server.key").string()};
    write_file(f.ca_file, ca.ca_pem());
    write_file(f.cert_file, server.cert_pem);
    write_file(f.key_file, server.key_pem);
    return f;
  }();
  return files;
}

gateway_simulator::gateway_simulator(const std::map<std::string, std::string>& app_secrets,
                                     std::vector<std::string> extra_args) {
  const auto& tls = test_tls();
  std::string port_file = (work_dir() / unique_name("gwsim-port")).string();
  std::vector<std::string> argv{env_or("HERALD_GWSIM_BIN", "herald-gwsim"), "--listen", "127.0.0.1:0",
                                "--cert", tls.cert_file, "--key", tls.key_file, "--port-file", port_file};
  for (const auto& [id, secret] : app_secrets) {
    argv.push_back("--app-secret");
    argv.push_back(id + "=" + secret);
  }
  for (auto& a : extra_args) argv.push_back(std::move(a));
  process_ = std::make_unique<child_process>("gwsim", argv);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  while (port_ == 0) {
    std::ifstream in(port_file);
    int p = 0;
    if (in >> p && p > 0) port_ = p;
    else if (!process_->is_running() || std::chrono::steady_clock::now() > deadline)
      throw std::runtime_error("herald-gwsim did not start: " + process_->log_tail());
    else std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

std::string gateway_simulator::url(const std::string& path) const {
  return "https://127.0.0.1:" + std::to_string(port_) + path;
}

static http::exchange call(const std::string& url, const std::string& method, const std::string& body) {
  boost::asio::io_context io;
  config::http_config hc;
  hc.ca_file = test_tls().ca_file;
  http::client_pool pool(io.get_executor(), hc);
  auto ep = config::parse_endpoint(url, /*allow_plain_http=*/true);
  if (!ep) throw std::runtime_error("bad url " + url);
  http::request req{method, ep->target, body.empty() ? "" : "application/json", body, {}};
  http::exchange out;
  std::exception_ptr failed;
  boost::asio::co_spawn(io, pool.send(*ep, std::move(req)), [&](std::exception_ptr e, http::exchange ex) {
    failed = e;
    out = std::move(ex);
    // The kept-alive connection would otherwise hold io.run() until its idle timeout.
    pool.close_all();
  });
  io.run();
  if (failed) std::rethrow_exception(failed);
  return out;
}

static std::string admin_call(const std::string& url, const std::string& method, const std::string& body) {
  http::exchange ex = call(url, method, body);
  if (ex.fail != http::failure::none) throw std::runtime_error("simulator admin call failed: " + ex.error);
  return ex.resp.body;
}

std::pair<int, std::string> http_get(const std::string& url) {
  http::exchange ex = call(url, "GET", "");
  if (ex.fail != http::failure::none) return {0, ex.error};
  return {ex.resp.status, ex.resp.body};
}

std::string gateway_simulator::get(const std::string& path) { return admin_call(url(path), "GET", ""); }
std::string gateway_simulator::post(const std::string& path, const std::string& body) {
  return admin_call(url(path), "POST", body);
}

long sim_stat(const std::string& stats_json, const char* name) {
  rapidjson::Document d;
  d.Parse(stats_json.c_str());
  REQUIRE_MESSAGE(d.IsObject(), "simulator stats are not JSON: ", stats_json);
  REQUIRE_MESSAGE(d.HasMember(name), "simulator stats lack ", name, ": ", stats_json);
  return d[name].GetInt64();
}

// --- Herald ---------------------------------------------------------------------------------

// The members of "redis" that say where it is: host and port, or in cluster mode the seed nodes
// (the shared cluster's, or the test's own one-node cluster on redis_port_value).
static std::string redis_connection_json(int redis_port_value) {
  if (!redis_cluster_mode())
    return R"("host": ")" + redis_host() + R"(", "port": )" +
           std::to_string(redis_port_value ? redis_port_value : redis_port());
  const std::vector<std::string> nodes =
      redis_port_value ? std::vector<std::string>{"127.0.0.1:" + std::to_string(redis_port_value)} : redis_cluster_nodes();
  std::string list;
  for (const auto& n : nodes) list += (list.empty() ? "\"" : ", \"") + n + "\"";
  return R"("cluster_nodes": [)" + list + "]";
}

std::string write_config(const std::string& events_topic, const std::string& results_topic,
                         const std::string& dlq_topic, const std::string& group, const std::string& key_prefix,
                         const std::string& accounts_json, const std::string& extra_sections,
                         int redis_port_value) {
  // Waiting events (docs/retries.md) get topics of their own per test, named after the events'.
  create_topic(events_topic + ".retry", 2);
  create_topic(events_topic + ".delay", 2);
  std::string text = R"({
  "kafka": {"brokers": ")" + kafka_brokers() + R"(", "group_id": ")" + group + R"(",
            "topics": [")" + events_topic + R"("], "results_topic": ")" + results_topic + R"(",
            "dlq_topic": ")" + dlq_topic + R"(", "retry_topic": ")" + events_topic + R"(.retry",
            "delay_topic": ")" + events_topic + R"(.delay", "commit_interval_ms": 200,
            "session_timeout_ms": 6000},
  "redis": {)" + redis_connection_json(redis_port_value) + R"(, "key_prefix": ")" + key_prefix + R"("},
  "ledger": {"recipient_hash_key": "e2e-test-recipient-hash-key"},
  "http": {"ca_file": ")" + test_tls().ca_file + R"(", "request_timeout_ms": 3000},
  "batch": {"linger_ms": 20},
  "log": {"level": "info"},
)" + extra_sections + R"(
  "accounts": )" + accounts_json + "\n}\n";
  fs::path p = work_dir() / (unique_name("herald") + ".json");
  write_file(p, text);
  return p.string();
}

int free_port() {
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor a(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
  return a.local_endpoint().port();
}

std::unique_ptr<child_process> start_herald(const std::string& config_path, std::map<std::string, std::string> env,
                                            std::vector<std::string> extra_args) {
  std::vector<std::string> argv{env_or("HERALD_BIN", "herald"), "run", "--config", config_path};
  argv.insert(argv.end(), extra_args.begin(), extra_args.end());
  return std::make_unique<child_process>("herald", std::move(argv), std::move(env));
}

}  // namespace herald::test
