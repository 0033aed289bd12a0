// herald-benchstat: reads a benchmark's events and outcome records back from Kafka and measures
// what Herald did: outcomes by status, end-to-end throughput (first to last outcome), a
// per-second throughput series, and produce → outcome latency (event CreateTime → settled_at).
// The outcomes are read as a read_committed consumer: with Kafka transactions a record counts
// once its transaction commits, and `visible_ms` (CreateTime → the moment this reader got the
// record) is the latency such a reader sees (meaningful when benchstat runs while the load is
// produced: the fixed-rate scenario).
#include <librdkafka/rdkafka.h>
#include <rapidjson/document.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace {

std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

// "2026-11-25T09:50:04.856Z" → Unix milliseconds; -1 when malformed.
std::int64_t parse_iso_ms(const char* s, std::size_t n) {
  int y, mo, d, h, mi, sec, ms;
  if (n < 24 || std::sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d.%3dZ", &y, &mo, &d, &h, &mi, &sec, &ms) != 7) return -1;
  return ((days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d)) * 24 + h) * 60 + mi) * 60000LL +
         sec * 1000LL + ms;
}

rd_kafka_t* reader(const std::string& brokers, const std::string& topic) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  char err[512];
  for (auto [k, v] : {std::pair<const char*, const char*>{"bootstrap.servers", brokers.c_str()},
                      {"group.id", "herald-benchstat"},
                      {"enable.auto.commit", "false"},
                      {"isolation.level", "read_committed"},
                      {"fetch.max.bytes", "104857600"}})
    if (rd_kafka_conf_set(conf, k, v, err, sizeof err) != RD_KAFKA_CONF_OK) throw std::runtime_error(err);
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
  if (!rk) throw std::runtime_error(err);
  rd_kafka_poll_set_consumer(rk);
  rd_kafka_topic_t* rkt = rd_kafka_topic_new(rk, topic.c_str(), nullptr);
  const rd_kafka_metadata_t* md = nullptr;
  if (rd_kafka_metadata(rk, 0, rkt, &md, 10000) || md->topic_cnt != 1 || md->topics[0].err)
    throw std::runtime_error("no metadata for topic " + topic);
  auto* parts = rd_kafka_topic_partition_list_new(md->topics[0].partition_cnt);
  for (int i = 0; i < md->topics[0].partition_cnt; ++i)
    rd_kafka_topic_partition_list_add(parts, topic.c_str(), md->topics[0].partitions[i].id)->offset =
        RD_KAFKA_OFFSET_BEGINNING;
  rd_kafka_metadata_destroy(md);
  rd_kafka_topic_destroy(rkt);
  rd_kafka_assign(rk, parts);
  rd_kafka_topic_partition_list_destroy(parts);
  return rk;
}

template <class F>
std::size_t read_topic(const std::string& brokers, const std::string& topic, std::size_t count, int timeout_ms, F&& on) {
  rd_kafka_t* rk = reader(brokers, topic);
  std::size_t n = 0;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (n < count && std::chrono::steady_clock::now() < deadline) {
    rd_kafka_message_t* m = rd_kafka_consumer_poll(rk, 200);
    if (!m) continue;
    if (!m->err) {
      on(*m);
      ++n;
    }
    rd_kafka_message_destroy(m);
  }
  rd_kafka_consumer_close(rk);
  rd_kafka_destroy(rk);
  return n;
}

std::int64_t percentile(const std::vector<std::int64_t>& sorted, double p) {
  if (sorted.empty()) return -1;
  auto i = static_cast<std::size_t>(p * static_cast<double>(sorted.size() - 1) + 0.5);
  return sorted[std::min(i, sorted.size() - 1)];
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"herald-benchstat: measure a benchmark run from its topics"};
  std::string brokers = "127.0.0.1:19092", events_topic, outcomes_topic, series_file, latency_file, latency_series_file,
              gaps_file, partition_gaps_file, read_file;
  std::size_t count = 0;
  int timeout_ms = 600000;
  std::int64_t gap_min_ms = 10;
  app.add_option("--brokers", brokers);
  app.add_option("--events-topic", events_topic)->required();
  app.add_option("--outcomes-topic", outcomes_topic)->required();
  app.add_option("--count", count, "outcome records to wait for")->required();
  app.add_option("--timeout-ms", timeout_ms);
  app.add_option("--series", series_file, "write per-second outcomes (unix second, count)");
  app.add_option("--latency", latency_file, "write the latency distribution (percentile, ms)");
  app.add_option("--latency-series", latency_series_file,
                 "write latency by second of produce time (unix second, events, p50, p99, max ms)");
  // The scaling scenario's rebalance pause: the time no pod settled anything while one joined.
  app.add_option("--gaps", gaps_file,
                 "write the gaps between consecutive outcomes' settled_at of at least --gap-min-ms (start ms, length ms)");
  app.add_option("--partition-gaps", partition_gaps_file,
                 "the same per source partition (partition, start ms, length ms): a partition moved to another pod");
  app.add_option("--gap-min-ms", gap_min_ms);
  // The moment the last outcome was read, for a caller sampling CPU then: reading the events topic
  // afterwards costs the broker CPU that is no part of the run.
  app.add_option("--outcomes-read-file", read_file, "create this file once all --count outcomes were read");
  CLI11_PARSE(app, argc, argv);
  try {
    struct seen {
      std::int64_t settled_ms;
      std::int32_t partition;
      std::int64_t offset;
      std::int64_t read_ms;
    };
    std::vector<seen> outcomes;
    outcomes.reserve(count);
    std::map<std::string, std::size_t> by_status;
    std::size_t malformed = 0;
    // Keep the raw records and parse them once all have arrived: parsing while Herald runs would
    // take CPU from the run being measured (two cores shared by everything).
    std::vector<std::string> raw;
    raw.reserve(count);
    std::vector<std::int64_t> read_ms;  // when each record reached this reader (same clock as CreateTime)
    read_ms.reserve(count);
    const std::size_t got = read_topic(brokers, outcomes_topic, count, timeout_ms, [&](const rd_kafka_message_t& m) {
      raw.emplace_back(static_cast<const char*>(m.payload), m.len);
      read_ms.push_back(std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::system_clock::now().time_since_epoch()).count());
    });
    if (!read_file.empty()) std::ofstream(read_file) << got << "\n";
    for (std::size_t r = 0; r < raw.size(); ++r) {
      const auto& text = raw[r];
      rapidjson::Document d;
      d.Parse(text.data(), text.size());
      if (!d.IsObject() || !d.HasMember("status") || !d.HasMember("settled_at") || !d.HasMember("source")) {
        ++malformed;
        continue;
      }
      ++by_status[d["status"].GetString()];
      const auto& at = d["settled_at"];
      outcomes.push_back({parse_iso_ms(at.GetString(), at.GetStringLength()), d["source"]["partition"].GetInt(),
                          d["source"]["offset"].GetInt64(), read_ms[r]});
    }
    raw.clear();
    raw.shrink_to_fit();
    if (got < count) {
      std::cerr << "herald-benchstat: only " << got << " of " << count << " outcome records arrived\n";
      return 1;
    }
    // Produce time of every event, by its position.
    std::unordered_map<std::uint64_t, std::int64_t> produced;
    produced.reserve(count * 2);
    auto key = [](std::int32_t p, std::int64_t o) { return (static_cast<std::uint64_t>(p) << 48) | static_cast<std::uint64_t>(o); };
    read_topic(brokers, events_topic, count, timeout_ms, [&](const rd_kafka_message_t& m) {
      rd_kafka_timestamp_type_t type;
      produced[key(m.partition, m.offset)] = rd_kafka_message_timestamp(&m, &type);
    });

    std::int64_t first = INT64_MAX, last = INT64_MIN;
    std::vector<std::int64_t> latency, visible;
    latency.reserve(outcomes.size());
    visible.reserve(outcomes.size());
    std::map<std::int64_t, std::size_t> per_second;
    for (const auto& o : outcomes) {
      first = std::min(first, o.settled_ms);
      last = std::max(last, o.settled_ms);
      ++per_second[o.settled_ms / 1000];
      auto it = produced.find(key(o.partition, o.offset));
      if (it == produced.end()) continue;
      latency.push_back(o.settled_ms - it->second);
      visible.push_back(o.read_ms - it->second);
    }
    if (!latency_series_file.empty()) {
      // By the second the event was produced: a stall shows as the seconds whose events waited.
      std::map<std::int64_t, std::vector<std::int64_t>> by_second;
      for (const auto& o : outcomes) {
        auto it = produced.find(key(o.partition, o.offset));
        if (it != produced.end()) by_second[it->second / 1000].push_back(o.settled_ms - it->second);
      }
      std::ofstream s(latency_series_file);
      for (auto& [sec, v] : by_second) {
        std::sort(v.begin(), v.end());
        s << sec << "\t" << v.size() << "\t" << percentile(v, 0.5) << "\t" << percentile(v, 0.99) << "\t" << v.back()
          << "\n";
      }
    }
    std::sort(latency.begin(), latency.end());
    std::sort(visible.begin(), visible.end());
    const double seconds = std::max<std::int64_t>(1, last - first) / 1000.0;
    if (!series_file.empty()) {
      std::ofstream s(series_file);
      for (auto [sec, n] : per_second) s << sec << "\t" << n << "\n";
    }
    if (!gaps_file.empty()) {
      std::vector<std::int64_t> settled;
      settled.reserve(outcomes.size());
      for (const auto& o : outcomes) settled.push_back(o.settled_ms);
      std::sort(settled.begin(), settled.end());
      std::ofstream g(gaps_file);
      for (std::size_t i = 1; i < settled.size(); ++i)
        if (settled[i] - settled[i - 1] >= gap_min_ms) g << settled[i - 1] << "\t" << settled[i] - settled[i - 1] << "\n";
    }
    if (!partition_gaps_file.empty()) {
      std::map<std::int32_t, std::vector<std::int64_t>> by_partition;
      for (const auto& o : outcomes) by_partition[o.partition].push_back(o.settled_ms);
      std::ofstream g(partition_gaps_file);
      for (auto& [partition, settled] : by_partition) {
        std::sort(settled.begin(), settled.end());
        for (std::size_t i = 1; i < settled.size(); ++i)
          if (settled[i] - settled[i - 1] >= gap_min_ms)
            g << partition << "\t" << settled[i - 1] << "\t" << settled[i] - settled[i - 1] << "\n";
      }
    }
    if (!latency_file.empty()) {
      std::ofstream l(latency_file);
      for (int i = 0; i <= 1000; ++i) l << i / 10.0 << "\t" << percentile(latency, i / 1000.0) << "\n";
    }
    std::printf("{\"outcomes\":%zu,\"malformed\":%zu,\"first_settled_ms\":%lld,\"last_settled_ms\":%lld,"
                "\"seconds\":%.3f,\"events_per_second\":%.1f,\"latency_ms\":{\"p50\":%lld,\"p99\":%lld,\"max\":%lld},"
                "\"visible_ms\":{\"p50\":%lld,\"p99\":%lld,\"max\":%lld},\"by_status\":{",
                outcomes.size(), malformed, static_cast<long long>(first), static_cast<long long>(last), seconds,
                static_cast<double>(outcomes.size()) / seconds, static_cast<long long>(percentile(latency, 0.5)),
                static_cast<long long>(percentile(latency, 0.99)),
                static_cast<long long>(latency.empty() ? -1 : latency.back()),
                static_cast<long long>(percentile(visible, 0.5)), static_cast<long long>(percentile(visible, 0.99)),
                static_cast<long long>(visible.empty() ? -1 : visible.back()));
    bool is_first = true;
    for (const auto& [st, n] : by_status) {
      std::printf("%s\"%s\":%zu", is_first ? "" : ",", st.c_str(), n);
      is_first = false;
    }
    // One committed outcome per event: a rebalance must not leave an event with two (the scaling
    // scenarios' joins redo the moved partitions' unfinished events).
    std::unordered_set<std::uint64_t> sources;
    sources.reserve(outcomes.size() * 2);
    for (const auto& o : outcomes) sources.insert(key(o.partition, o.offset));
    std::printf("},\"distinct_sources\":%zu}\n", sources.size());
    return malformed == 0 ? 0 : 1;
  } catch (const std::exception& e) {
    std::cerr << "herald-benchstat: " << e.what() << "\n";
    return 1;
  }
}
