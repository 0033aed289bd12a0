#pragma once
// The end-to-end harness: real Kafka and Redis (started by deploy/local/services), the gateway
// simulator and Herald itself as child processes. Every test makes its own topics, consumer group
// and key prefix, so tests never see each other's leftovers.
#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace herald::test {

std::string env_or(const char* name, const std::string& fallback);
std::string kafka_brokers();
std::string redis_host();
int redis_port();
// A name no other test run uses: prefix + pid + counter + time.
std::string unique_name(const std::string& prefix);

// --- Kafka --------------------------------------------------------------------------------
void create_topic(const std::string& topic, int partitions);

struct kafka_record {
  std::string key;
  std::string value;
  bool is_key_null = false;  // Kafka's null, not empty bytes (key and value are then empty)
  bool is_value_null = false;
  std::int32_t partition = 0;
  std::int64_t offset = 0;
  std::map<std::string, std::string> headers;
};

// Produces and waits for every delivery; returns (partition, offset) of each, in order.
std::vector<std::pair<std::int32_t, std::int64_t>> produce(const std::string& topic,
                                                           const std::vector<std::string>& values,
                                                           std::optional<std::int32_t> partition = std::nullopt);

// Reads a topic from the beginning until `count` records arrived or the timeout passed, and then
// for `settle` longer to catch any record beyond `count`.
std::vector<kafka_record> consume(const std::string& topic, std::size_t count, std::chrono::milliseconds timeout,
                                  std::chrono::milliseconds settle = std::chrono::milliseconds(1500));

// --- Redis --------------------------------------------------------------------------------
// Cluster mode (HERALD_TEST_REDIS_CLUSTER=1, set per ctest entry: the integration.cluster.* tests):
// the configs write_config makes name the Redis Cluster's seed nodes, HERALD_REDIS_CLUSTER_NODES
// (deploy/local/services' redis-cluster; host and port are then unused), and the calls below go
// to the node that serves each key.
bool redis_cluster_mode();
std::vector<std::string> redis_cluster_nodes();  // "host:port" each

// One command, answered as text (integers and status replies as their text, nil as "(nil)").
// In cluster mode it follows MOVED and ASK redirections; a keyless one runs on a seed node.
std::string redis_command(const std::vector<std::string>& args);
// KEYS matching the pattern (test key prefixes are small); in cluster mode, of every primary.
std::vector<std::string> redis_keys(const std::string& pattern);

// --- Child processes ----------------------------------------------------------------------
class child_process {
 public:
  child_process(const std::string& name, std::vector<std::string> argv, std::map<std::string, std::string> env = {});
  ~child_process();
  child_process(const child_process&) = delete;
  child_process& operator=(const child_process&) = delete;
  void signal(int signo);
  // Waits for the exit; returns the exit code (128 + signal when killed), or nullopt on timeout.
  std::optional<int> wait(std::chrono::milliseconds timeout);
  bool is_running();
  std::string log_tail(std::size_t bytes = 4000) const;
  const std::string& log_path() const { return log_path_; }

 private:
  std::string name_;
  pid_t pid_ = -1;
  std::optional<int> exit_code_;
  std::string log_path_;
};

// A Redis server of the test's own on `port`, for write_config's redis_port_value: a plain one,
// or in cluster mode a cluster of this one node, serving every slot (no data kept).
std::unique_ptr<child_process> start_dedicated_redis(int port);

// --- The gateway simulator ----------------------------------------------------------------
struct tls_files {
  std::string ca_file;
  std::string cert_file;
  std::string key_file;
};
// A CA and a server certificate for 127.0.0.1 / localhost, written once per test run.
const tls_files& test_tls();

class gateway_simulator {
 public:
  gateway_simulator(const std::map<std::string, std::string>& app_secrets, std::vector<std::string> extra_args = {});
  int port() const { return port_; }
  std::string url(const std::string& path) const;
  // GET/POST on the simulator's admin endpoints; the body of the answer.
  std::string get(const std::string& path);
  std::string post(const std::string& path, const std::string& body);
  std::string log_tail() const { return process_->log_tail(); }

 private:
  int port_ = 0;
  std::unique_ptr<child_process> process_;
};

// A GET over plain HTTP or HTTPS (the test CA); status 0 and the error when it failed.
std::pair<int, std::string> http_get(const std::string& url);

// A number from the simulator's /_sim/stats answer; fails the test when it is missing.
long sim_stat(const std::string& stats_json, const char* name);

// --- Herald -------------------------------------------------------------------------------
// Writes a config to a temp file; `accounts_json` is the body of "accounts".
std::string write_config(const std::string& events_topic, const std::string& results_topic,
                         const std::string& dlq_topic, const std::string& group, const std::string& key_prefix,
                         const std::string& accounts_json, const std::string& extra_sections = "",
                         int redis_port_value = 0 /* 0: the shared test Redis (or cluster) */);

// A TCP port on 127.0.0.1 that nothing listens on right now.
int free_port();

// extra_args follow "run --config FILE" (e.g. --clock-offset-ms N).
std::unique_ptr<child_process> start_herald(const std::string& config_path,
                                            std::map<std::string, std::string> env = {},
                                            std::vector<std::string> extra_args = {});

}  // namespace herald::test
