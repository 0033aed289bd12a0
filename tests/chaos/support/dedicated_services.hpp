#pragma once
// Services a chaos scenario may stop and restart (docs/reliability.md): a Redis server and a
// single-node KRaft Kafka broker of the test's own, on free loopback ports, with data directories
// that outlive a restart. The shared services of deploy/local/services are never touched.
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "integration/support/e2e_harness.hpp"

namespace herald::chaos {

// Sets environment variables for the scope (the e2e harness reads HERALD_KAFKA_BROKERS and
// HERALD_REDIS_PORT on every call) and puts the old values back after it.
class scoped_env {
 public:
  explicit scoped_env(std::map<std::string, std::string> values);
  ~scoped_env();
  scoped_env(const scoped_env&) = delete;
  scoped_env& operator=(const scoped_env&) = delete;

 private:
  std::map<std::string, std::optional<std::string>> saved_;
};

// A fresh temporary directory (removed by the destructor).
class temp_dir {
 public:
  explicit temp_dir(const std::string& prefix);
  ~temp_dir();
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// redis-server (REDIS_SERVER_BIN, default redis-server) with append-only persistence that fsyncs
// every write, so what it acknowledged survives a SIGKILL.
class dedicated_redis {
 public:
  dedicated_redis();
  ~dedicated_redis();
  int port() const { return port_; }
  // Starts it (again, on the same port and directory) and waits until it answers PING.
  void start();
  // SIGKILL, no shutdown: nothing is saved beyond what the append-only file already holds.
  void kill();
  bool is_running();
  std::string log_tail() const;

 private:
  int port_ = 0;
  temp_dir dir_;
  std::unique_ptr<test::child_process> process_;
};

// A Redis Cluster of the test's own: `primaries` redis-servers (no replicas) on loopback ports
// whose cluster bus ports (port + 10000) are free too, each with its own directory (nodes.conf
// and an append-only file that fsyncs every write), node timeout 2 s, slots split evenly as
// `redis-cli --cluster create` splits them. The shared cluster of deploy/local/services is never
// touched, so a scenario may kill its nodes and move its slots.
class dedicated_redis_cluster {
 public:
  explicit dedicated_redis_cluster(int primaries = 3);
  ~dedicated_redis_cluster();
  std::size_t size() const { return nodes_.size(); }
  int port(std::size_t node) const { return nodes_.at(node).port; }
  // "127.0.0.1:PORT,..." (HERALD_REDIS_CLUSTER_NODES for the harness).
  std::string seeds() const;
  // SIGKILL, no shutdown; start() brings it back on its port from nodes.conf and its AOF, and
  // waits until it answers PING (the cluster may still be settling: see wait_until_ok).
  void kill(std::size_t node);
  void start(std::size_t node);
  bool is_running(std::size_t node);
  // Until every running node says cluster_state:ok and all agree on the slot owners; false on timeout.
  bool wait_until_ok(std::chrono::milliseconds timeout);
  // One command on a node, its answer as text (an array as "(array)"). Throws when the node
  // cannot be reached or answers an error.
  std::string command(std::size_t node, const std::vector<std::string>& args);
  std::string node_id(std::size_t node);
  // The node serving `slot` as CLUSTER SLOTS of node 0 says, as an index.
  std::size_t owner_of(unsigned slot);
  // Slot ranges [first, last] a node serves (CLUSTER SLOTS).
  std::vector<std::pair<unsigned, unsigned>> slots_of(std::size_t node);
  long keys_in_slot(std::size_t node, unsigned slot);

  // A resharding step by step, as redis-cli --cluster reshard does it, in three calls so that a
  // scenario can act between them: every slot of [first, last] IMPORTING on `to` and MIGRATING on
  // `from`; their keys MIGRATEd in chunks of `keys_per_migrate`, `pause` after each chunk (returns
  // the keys moved); SETSLOT NODE on the target, the source, then the others.
  void begin_migration(unsigned first, unsigned last, std::size_t from, std::size_t to);
  long migrate_keys(unsigned first, unsigned last, std::size_t from, std::size_t to, int keys_per_migrate,
                    std::chrono::milliseconds pause);
  void finish_migration(unsigned first, unsigned last, std::size_t from, std::size_t to);
  std::string log_tail(std::size_t node) const;

 private:
  struct node {
    int port = 0;
    std::unique_ptr<temp_dir> dir;
    std::unique_ptr<test::child_process> process;
  };
  std::vector<node> nodes_;
};

// A single-node KRaft broker (broker and controller in one JVM) from the jars of
// deploy/local/.cache/kafka-*/libs (HERALD_SOURCE_DIR, else the current directory, names the
// checkout), formatted once, with transactions and group offsets replicated once.
class dedicated_kafka {
 public:
  dedicated_kafka();
  ~dedicated_kafka();
  // "127.0.0.1:PORT"
  std::string brokers() const;
  // Starts (again: same ports, same data) and waits until a metadata request is answered;
  // returns how long that took.
  std::chrono::milliseconds start(std::chrono::seconds timeout = std::chrono::seconds(90));
  void kill();                     // SIGKILL
  int stop(std::chrono::seconds);  // SIGTERM, a clean shutdown; SIGKILL after the timeout
  bool is_running();
  std::string log_tail() const;
  // Whether the Kafka jars are there at all (else the scenario cannot run).
  static std::optional<std::string> libs_dir();

 private:
  int port_ = 0, controller_port_ = 0;
  temp_dir dir_;
  std::string libs_;
  std::unique_ptr<test::child_process> process_;
};

// Whether a Kafka broker at `brokers` answers a metadata request within the timeout.
bool kafka_answers(const std::string& brokers, std::chrono::milliseconds timeout);
// Waits until the broker's metadata lists every topic with its partitions (a fresh broker's
// metadata trails CreateTopics by a moment, and Herald's start-up check of its output topics
// would find them unknown). False on timeout.
bool wait_for_topics(const std::string& brokers, const std::vector<std::string>& topics,
                     std::chrono::milliseconds timeout);

}  // namespace herald::chaos
