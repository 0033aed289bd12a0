// herald-cat: a small Kafka tool for the demo and benchmarks: create topics, produce events from
// a file (one JSON event a line), and read outcome records.
#include <librdkafka/rdkafka.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <fstream>
#include <iostream>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

rd_kafka_t* make_client(rd_kafka_type_t type, const std::string& brokers,
                        std::vector<std::pair<std::string, std::string>> props) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  char err[512];
  props.insert(props.begin(), {"bootstrap.servers", brokers});
  for (auto& [k, v] : props)
    if (rd_kafka_conf_set(conf, k.c_str(), v.c_str(), err, sizeof err) != RD_KAFKA_CONF_OK)
      throw std::runtime_error(k + ": " + err);
  rd_kafka_t* rk = rd_kafka_new(type, conf, err, sizeof err);
  if (!rk) throw std::runtime_error(err);
  return rk;
}

int create_topic(const std::string& brokers, const std::string& topic, int partitions) {
  rd_kafka_t* rk = make_client(RD_KAFKA_PRODUCER, brokers, {});
  char err[512];
  rd_kafka_NewTopic_t* nt = rd_kafka_NewTopic_new(topic.c_str(), partitions, 1, err, sizeof err);
  if (!nt) throw std::runtime_error(err);
  rd_kafka_queue_t* q = rd_kafka_queue_new(rk);
  rd_kafka_CreateTopics(rk, &nt, 1, nullptr, q);
  rd_kafka_event_t* ev = rd_kafka_queue_poll(q, 30000);
  int rc = 0;
  if (!ev) {
    std::cerr << "create topic " << topic << ": timeout\n";
    rc = 1;
  } else {
    size_t n = 0;
    auto res = rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev), &n);
    for (size_t i = 0; i < n; ++i) {
      auto e = rd_kafka_topic_result_error(res[i]);
      if (e && e != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
        std::cerr << "create topic " << topic << ": " << rd_kafka_topic_result_error_string(res[i]) << "\n";
        rc = 1;
      }
    }
    rd_kafka_event_destroy(ev);
  }
  rd_kafka_NewTopic_destroy(nt);
  rd_kafka_queue_destroy(q);
  rd_kafka_destroy(rk);
  return rc;
}

int produce(const std::string& brokers, const std::string& topic, const std::string& file) {
  rd_kafka_t* rk = make_client(RD_KAFKA_PRODUCER, brokers, {{"linger.ms", "5"}, {"enable.idempotence", "true"}});
  std::ifstream in_file;
  if (file != "-") {
    in_file.open(file);
    if (!in_file) throw std::runtime_error("cannot read " + file);
  }
  std::istream& in = file == "-" ? std::cin : in_file;
  std::string line;
  std::size_t n = 0;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    for (;;) {
      auto e = rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                 RD_KAFKA_V_VALUE(line.data(), line.size()), RD_KAFKA_V_END);
      if (e == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
        rd_kafka_poll(rk, 50);
        continue;
      }
      if (e) throw std::runtime_error(std::string("produce: ") + rd_kafka_err2str(e));
      break;
    }
    ++n;
  }
  int left = rd_kafka_flush(rk, 30000) == RD_KAFKA_RESP_ERR_NO_ERROR ? 0 : rd_kafka_outq_len(rk);
  rd_kafka_destroy(rk);
  std::cerr << "produced " << n << " events to " << topic << "\n";
  return left == 0 ? 0 : 1;
}

int consume(const std::string& brokers, const std::string& topic, std::size_t count, int timeout_ms) {
  rd_kafka_t* rk = make_client(RD_KAFKA_CONSUMER, brokers,
                               {{"group.id", "herald-cat-" + std::to_string(::getpid())},
                                {"auto.offset.reset", "earliest"},
                                {"enable.auto.commit", "false"}});
  rd_kafka_poll_set_consumer(rk);
  auto* subs = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(subs, topic.c_str(), RD_KAFKA_PARTITION_UA);
  rd_kafka_subscribe(rk, subs);
  rd_kafka_topic_partition_list_destroy(subs);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  std::size_t n = 0;
  while (n < count && std::chrono::steady_clock::now() < deadline) {
    rd_kafka_message_t* m = rd_kafka_consumer_poll(rk, 100);
    if (!m) continue;
    if (!m->err) {
      std::cout << std::string(static_cast<const char*>(m->payload), m->len) << "\n";
      ++n;
    }
    rd_kafka_message_destroy(m);
  }
  std::cout.flush();
  rd_kafka_consumer_close(rk);
  rd_kafka_destroy(rk);
  if (n < count) {
    std::cerr << "herald-cat: only " << n << " of " << count << " records arrived before the timeout\n";
    return 1;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"herald-cat: create topics, produce events, read outcomes"};
  app.require_subcommand(1);
  std::string brokers = "127.0.0.1:19092", topic, file = "-";
  int partitions = 1, timeout_ms = 60000;
  std::size_t count = 1;
  app.add_option("--brokers", brokers, "Kafka bootstrap servers");
  auto* create = app.add_subcommand("create-topic", "create a topic if it does not exist");
  create->add_option("topic", topic)->required();
  create->add_option("--partitions", partitions);
  auto* prod = app.add_subcommand("produce", "produce one message per line of FILE (- for stdin)");
  prod->add_option("topic", topic)->required();
  prod->add_option("file", file);
  auto* cons = app.add_subcommand("consume", "print COUNT records from the beginning of a topic");
  cons->add_option("topic", topic)->required();
  cons->add_option("--count", count)->required();
  cons->add_option("--timeout-ms", timeout_ms);
  CLI11_PARSE(app, argc, argv);
  try {
    if (*create) return create_topic(brokers, topic, partitions);
    if (*prod) return produce(brokers, topic, file);
    if (*cons) return consume(brokers, topic, count, timeout_ms);
  } catch (const std::exception& e) {
    std::cerr << "herald-cat: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
