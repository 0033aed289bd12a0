// herald-loadgen: produces order-notification events for benchmarks, at a fixed rate or as fast
// as Kafka takes them, with a chosen share of repeated event_ids, number of distinct recipients,
// share of marketing events and mix of accounts.
#include <librdkafka/rdkafka.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace {

struct account_mix {
  std::string name;
  std::string recipient_kind;  // oaid | post_tel | phone
  double weight = 1;
};

account_mix parse_account(const std::string& text) {
  // NAME=KIND[:WEIGHT]
  auto eq = text.find('=');
  if (eq == std::string::npos) throw std::invalid_argument("--account takes NAME=KIND[:WEIGHT], got " + text);
  account_mix a;
  a.name = text.substr(0, eq);
  std::string rest = text.substr(eq + 1);
  auto colon = rest.find(':');
  a.recipient_kind = rest.substr(0, colon);
  if (colon != std::string::npos) a.weight = std::stod(rest.substr(colon + 1));
  if (a.recipient_kind != "oaid" && a.recipient_kind != "post_tel" && a.recipient_kind != "phone")
    throw std::invalid_argument("--account kind must be oaid, post_tel or phone, got " + a.recipient_kind);
  return a;
}

std::int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"herald-loadgen: produce benchmark events"};
  std::string brokers = "127.0.0.1:19092", topic = "herald.events", run_id = "bench";
  std::uint64_t count = 1'000'000, recipients = 100'000, seed = 1;
  double rate = 0, duplicate_share = 0.05, marketing_share = 0.0;
  std::vector<std::string> account_texts;
  app.add_option("--brokers", brokers);
  app.add_option("--topic", topic);
  app.add_option("--count", count, "events to produce");
  app.add_option("--rate", rate, "events per second; 0 = as fast as possible");
  app.add_option("--duplicate-share", duplicate_share, "share of events repeating an earlier event_id")->check(CLI::Range(0.0, 0.99));
  app.add_option("--recipients", recipients, "distinct recipients")->check(CLI::PositiveNumber);
  app.add_option("--marketing-share", marketing_share, "share of marketing events")->check(CLI::Range(0.0, 1.0));
  app.add_option("--account", account_texts, "NAME=KIND[:WEIGHT], KIND oaid|post_tel|phone (repeatable)")->required();
  app.add_option("--run-id", run_id, "prefix of event ids, so runs never collide");
  app.add_option("--seed", seed);
  CLI11_PARSE(app, argc, argv);

  try {
    std::vector<account_mix> accounts;
    std::vector<double> weights;
    for (const auto& t : account_texts) {
      accounts.push_back(parse_account(t));
      weights.push_back(accounts.back().weight);
    }
    std::mt19937_64 rng(seed);
    std::discrete_distribution<std::size_t> pick_account(weights.begin(), weights.end());
    std::uniform_real_distribution<double> unit(0, 1);
    std::uniform_int_distribution<std::uint64_t> pick_recipient(0, recipients - 1);

    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    char err[512];
    for (auto [k, v] : {std::pair<const char*, std::string>{"bootstrap.servers", brokers},
                        // Pre-loading favours big batches; a fixed-rate run measures latency, and
                        // an order pipeline would not hold its events longer than librdkafka's default.
                        {"linger.ms", rate > 0 ? "5" : "20"},
                        {"batch.num.messages", "10000"},
                        {"compression.type", "lz4"},
                        {"queue.buffering.max.messages", "1000000"}})
      if (rd_kafka_conf_set(conf, k, v.c_str(), err, sizeof err) != RD_KAFKA_CONF_OK) throw std::runtime_error(err);
    rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
    if (!rk) throw std::runtime_error(err);

    // Connect and learn the topic's partitions before the clock starts: otherwise the first
    // events' latency would include this producer's own start-up.
    {
      rd_kafka_topic_t* rkt = rd_kafka_topic_new(rk, topic.c_str(), nullptr);
      const rd_kafka_metadata_t* md = nullptr;
      if (rd_kafka_metadata(rk, 0, rkt, &md, 10000) == RD_KAFKA_RESP_ERR_NO_ERROR) rd_kafka_metadata_destroy(md);
      rd_kafka_topic_destroy(rkt);
    }
    const auto start = std::chrono::steady_clock::now();
    std::string value;
    std::uint64_t fresh = 0;
    for (std::uint64_t i = 0; i < count; ++i) {
      if (rate > 0) {
        auto due = start + std::chrono::microseconds(static_cast<std::int64_t>(i * 1e6 / rate));
        if (due > std::chrono::steady_clock::now()) std::this_thread::sleep_until(due);
      }
      // A repeat reuses an earlier event id (and so its whole content, derived from the id).
      std::uint64_t id = fresh;
      if (fresh > 0 && unit(rng) < duplicate_share) id = std::uniform_int_distribution<std::uint64_t>(0, fresh - 1)(rng);
      else ++fresh;
      std::mt19937_64 per_event(seed * 1'000'003 + id);
      const auto& acct = accounts[pick_account(per_event)];
      const std::uint64_t recipient = pick_recipient(per_event);
      const bool is_marketing = unit(per_event) < marketing_share;
      value.clear();
      value += R"({"event_id":")" + run_id + "-" + std::to_string(id) + R"(","account":")" + acct.name +
               R"(","order_id":")" + std::to_string(3'000'000'000'000'000'000ULL + id) + R"(","recipient":{")" +
               acct.recipient_kind + R"(":")";
      if (acct.recipient_kind == "phone") value += std::to_string(13'000'000'000ULL + recipient);
      else value += "AAHk" + std::to_string(recipient) + "xVzBSAV";
      value += R"("},"sign_name":"BenchShop","template_code":")";
      value += is_marketing ? "SMS_PROMO" : "SMS_SHIPPED";
      value += R"(","params":{"name":"Li","waybill":"SF)" + std::to_string(id) + R"("},"category":")";
      value += is_marketing ? "marketing" : "transactional";
      value += R"(","bench_ts":)" + std::to_string(now_ms()) + "}";
      const std::string key = std::to_string(id);
      for (;;) {
        auto e = rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                   RD_KAFKA_V_KEY(key.data(), key.size()),
                                   RD_KAFKA_V_VALUE(value.data(), value.size()), RD_KAFKA_V_END);
        if (e == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
          rd_kafka_poll(rk, 10);
          continue;
        }
        if (e) throw std::runtime_error(std::string("produce: ") + rd_kafka_err2str(e));
        break;
      }
      if ((i & 1023) == 0) rd_kafka_poll(rk, 0);
    }
    rd_kafka_flush(rk, 120000);
    const int left = rd_kafka_outq_len(rk);
    rd_kafka_destroy(rk);
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("{\"produced\":%llu,\"distinct_event_ids\":%llu,\"seconds\":%.3f,\"undelivered\":%d}\n",
                static_cast<unsigned long long>(count), static_cast<unsigned long long>(fresh), secs, left);
    return left == 0 ? 0 : 1;
  } catch (const std::exception& e) {
    std::cerr << "herald-loadgen: " << e.what() << "\n";
    return 1;
  }
}
