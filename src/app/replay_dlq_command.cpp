#include "replay_dlq_command.hpp"

#include <chrono>
#include <map>
#include <memory>
#include <ostream>
#include <thread>

#include "exit_codes.hpp"
#include "herald/pipeline/dlq_replay.hpp"
#include "kafka_handle.hpp"

namespace herald::app {
namespace {

using clock = std::chrono::steady_clock;

struct deliveries {
  std::size_t delivered = 0;
  std::vector<std::string> failures;
};

void on_delivery(rd_kafka_t*, const rd_kafka_message_t* m, void*) {
  auto* d = static_cast<deliveries*>(m->_private);
  if (!d) return;
  if (m->err) {
    d->failures.push_back(std::string(rd_kafka_topic_name(m->rkt)) + "[" + std::to_string(m->partition) +
                          "]: " + rd_kafka_err2str(m->err));
  } else {
    ++d->delivered;
  }
}

struct span_of_partition {
  std::int32_t partition = 0;
  std::int64_t start = 0;
  std::int64_t end = 0;  // exclusive
  bool is_done = false;
};

std::string where(const std::string& topic, std::int32_t partition, std::int64_t offset) {
  return topic + "[" + std::to_string(partition) + "]@" + std::to_string(offset);
}

std::string header_value(const std::vector<kafka::header>& headers, std::string_view name) {
  for (const auto& h : headers)
    if (h.name == name) return std::string(h.value);
  return "";
}

}  // namespace

int run_replay_dlq(const config::herald_config& cfg, const replay_query& q, std::ostream& out, std::ostream& err) {
  const std::string& dlq = cfg.kafka.dlq_topic;
  auto from = pipeline::parse_replay_position(q.from);
  if (!from) {
    err << "herald replay-dlq: --from " << from.message() << "\n";
    return exit_config;
  }
  auto to = pipeline::parse_replay_position(q.to);
  if (!to) {
    err << "herald replay-dlq: --to " << to.message() << "\n";
    return exit_config;
  }
  const int timeout = static_cast<int>(q.timeout_ms);
  const std::string client_id = cfg.kafka.client_id + "-replay-dlq";
  // Partitions are assigned explicitly and nothing is committed: the group id is only librdkafka's
  // requirement for a consumer, never joined.
  kafka_handle consumer(RD_KAFKA_CONSUMER, {{"bootstrap.servers", cfg.kafka.brokers}, {"client.id", client_id}},
                        cfg.kafka.consumer_properties,
                        {{"group.id", client_id},
                         {"enable.auto.commit", "false"},
                         {"enable.auto.offset.store", "false"},
                         // A copy of an aborted transaction was never a DLQ copy: never replay it.
                         {"isolation.level", "read_committed"},
                         {"enable.partition.eof", "true"},
                         {"auto.offset.reset", "earliest"},
                         {"allow.auto.create.topics", "false"}});
  rd_kafka_t* rk = consumer.get();

  // The DLQ topic's partitions.
  rd_kafka_topic_t* rkt = rd_kafka_topic_new(rk, dlq.c_str(), nullptr);
  const rd_kafka_metadata_t* md = nullptr;
  rd_kafka_resp_err_t e = rd_kafka_metadata(rk, 0, rkt, &md, timeout);
  rd_kafka_topic_destroy(rkt);
  if (e) {
    err << "herald replay-dlq: kafka.dlq_topic " << dlq << ": metadata: " << rd_kafka_err2str(e) << with_cause(consumer) << "\n";
    return exit_found;
  }
  std::vector<std::int32_t> partitions;
  const auto topic_error = md->topic_cnt == 1 ? md->topics[0].err : RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART;
  if (!topic_error)
    for (int i = 0; i < md->topics[0].partition_cnt; ++i) partitions.push_back(md->topics[0].partitions[i].id);
  rd_kafka_metadata_destroy(md);
  if (topic_error) {
    err << "herald replay-dlq: kafka.dlq_topic " << dlq << ": " << rd_kafka_err2str(topic_error) << "\n";
    return exit_found;
  }
  if (q.partition) {
    if (std::find(partitions.begin(), partitions.end(), *q.partition) == partitions.end()) {
      err << "herald replay-dlq: --partition " << *q.partition << ": " << dlq << " has " << partitions.size()
          << " partition(s)\n";
      return exit_config;
    }
    partitions = {*q.partition};
  }

  // Where each partition starts and ends: the end is fixed now, so that copies the replay itself
  // causes (an event still invalid) are not replayed again in the same run.
  std::vector<span_of_partition> spans;
  for (auto p : partitions) {
    std::int64_t low = 0, high = 0;
    e = rd_kafka_query_watermark_offsets(rk, dlq.c_str(), p, &low, &high, timeout);
    if (e) {
      err << "herald replay-dlq: " << dlq << "[" << p << "]: watermarks: " << rd_kafka_err2str(e) << with_cause(consumer) << "\n";
      return exit_found;
    }
    spans.push_back({p, low, high});
  }
  auto resolve = [&](const pipeline::replay_position& pos, bool is_start) -> bool {
    using kind = pipeline::replay_position::kind;
    if (pos.k == kind::time) {
      rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(static_cast<int>(spans.size()));
      for (const auto& s : spans) rd_kafka_topic_partition_list_add(list, dlq.c_str(), s.partition)->offset = pos.value;
      e = rd_kafka_offsets_for_times(rk, list, timeout);
      if (e) {
        err << "herald replay-dlq: " << dlq << ": offsets for time " << pos.value << ": " << rd_kafka_err2str(e)
            << with_cause(consumer) << "\n";
        rd_kafka_topic_partition_list_destroy(list);
        return false;
      }
      for (auto& s : spans) {
        const auto* tp = rd_kafka_topic_partition_list_find(list, dlq.c_str(), s.partition);
        // -1: no record at or after that time: the end.
        std::int64_t o = tp && tp->offset >= 0 ? tp->offset : s.end;
        if (is_start) s.start = std::max(s.start, std::min(o, s.end));
        else s.end = std::max(s.start, std::min(o, s.end));
      }
      rd_kafka_topic_partition_list_destroy(list);
      return true;
    }
    for (auto& s : spans) {
      const std::int64_t o = pos.k == kind::beginning ? s.start : pos.k == kind::end ? s.end : pos.value;
      if (is_start) s.start = std::max(s.start, std::min(o, s.end));
      else s.end = std::max(s.start, std::min(o, s.end));
    }
    return true;
  };
  if (!resolve(*from, true) || !resolve(*to, false)) return exit_found;

  std::unique_ptr<kafka_handle> producer;
  deliveries delivered;
  if (!q.is_dry_run) {
    auto props = cfg.kafka.producer_properties;
    props.erase("transactional.id");  // the worker's own: a second producer with it would fence the worker
    producer = std::make_unique<kafka_handle>(
        RD_KAFKA_PRODUCER, kafka_handle::settings{{"bootstrap.servers", cfg.kafka.brokers}, {"client.id", client_id}},
        props, kafka_handle::settings{{"enable.idempotence", "true"}, {"allow.auto.create.topics", "false"}}, &on_delivery);
  }

  rd_kafka_topic_partition_list_t* assignment = rd_kafka_topic_partition_list_new(static_cast<int>(spans.size()));
  std::size_t open = 0;
  for (auto& s : spans) {
    out << "partition " << s.partition << ": offsets " << s.start << " to " << s.end << " (exclusive)\n";
    if (s.start >= s.end) {
      s.is_done = true;
      continue;
    }
    rd_kafka_topic_partition_list_add(assignment, dlq.c_str(), s.partition)->offset = s.start;
    ++open;
  }
  if (open) {
    e = rd_kafka_assign(rk, assignment);
    if (e) {
      rd_kafka_topic_partition_list_destroy(assignment);
      err << "herald replay-dlq: assign " << dlq << ": " << rd_kafka_err2str(e) << "\n";
      return exit_found;
    }
  }
  rd_kafka_topic_partition_list_destroy(assignment);

  std::size_t read = 0, selected = 0, skipped = 0;
  std::map<std::string, std::size_t> skipped_by_reason;
  int status = exit_ok;
  auto last_progress = clock::now();
  auto find_span = [&](std::int32_t p) -> span_of_partition* {
    for (auto& s : spans)
      if (s.partition == p) return &s;
    return nullptr;
  };
  // A finished partition is paused: records the live worker keeps writing to it would otherwise
  // count as progress and hold off the timeout of a partition that never answers.
  auto finish = [&](span_of_partition& done) {
    done.is_done = true;
    --open;
    last_progress = clock::now();
    rd_kafka_topic_partition_list_t* one = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(one, dlq.c_str(), done.partition);
    rd_kafka_pause_partitions(rk, one);
    rd_kafka_topic_partition_list_destroy(one);
  };
  while (open > 0) {
    rd_kafka_message_t* m = rd_kafka_consumer_poll(rk, 100);
    if (producer) rd_kafka_poll(producer->get(), 0);
    if (!m) {
      if (clock::now() - last_progress > std::chrono::milliseconds(q.timeout_ms)) {
        for (const auto& s : spans)
          if (!s.is_done) err << "herald replay-dlq: " << dlq << "[" << s.partition << "]: no record within "
                              << q.timeout_ms << " ms before offset " << s.end << with_cause(consumer) << "\n";
        status = exit_found;
        break;
      }
      continue;
    }
    span_of_partition* s = find_span(m->partition);
    if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      // read_committed: the end of what is committed (an open transaction's copies are not).
      if (s && !s->is_done) finish(*s);
      rd_kafka_message_destroy(m);
      continue;
    }
    if (m->err) {
      err << "herald replay-dlq: " << dlq << "[" << m->partition << "]: " << rd_kafka_message_errstr(m) << "\n";
      rd_kafka_message_destroy(m);
      status = exit_found;
      break;
    }
    if (!s || s->is_done || m->offset >= s->end) {
      if (s && !s->is_done) finish(*s);
      rd_kafka_message_destroy(m);
      continue;
    }
    last_progress = clock::now();
    ++read;
    std::vector<kafka::header> headers;
    rd_kafka_headers_t* hdrs = nullptr;
    if (rd_kafka_message_headers(m, &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR) {
      const char* name = nullptr;
      const void* value = nullptr;
      size_t size = 0;
      for (size_t i = 0; rd_kafka_header_get_all(hdrs, i, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR; ++i)
        headers.push_back({name, std::string_view(value ? static_cast<const char*>(value) : "", value ? size : 0)});
    }
    const std::string here = where(dlq, m->partition, m->offset);
    const auto choice = pipeline::choose_replay(headers, m->payload == nullptr, cfg.kafka.topics, q.reason_classes);
    if (!choice.is_replayed) {
      ++skipped;
      ++skipped_by_reason[choice.skip_reason];
      out << "skip   " << here << ": " << choice.skip_reason << "\n";
      if (m->offset + 1 >= s->end) {
        s->is_done = true;
        --open;
      }
      rd_kafka_message_destroy(m);
      continue;
    }
    ++selected;
    const std::string origin = where(header_value(headers, pipeline::dlq_source_topic_header),
                                     std::atoi(header_value(headers, pipeline::dlq_source_partition_header).c_str()),
                                     std::atoll(header_value(headers, pipeline::dlq_source_offset_header).c_str()));
    out << (q.is_dry_run ? "would replay " : "replay ") << here << " -> " << choice.topic << ": class "
        << (choice.reason_class.empty() ? "(none)" : std::string(choice.reason_class)) << ", key "
        << (m->key ? std::to_string(m->key_len) + " bytes" : std::string("null")) << ", value " << m->len
        << " bytes; was " << origin << ": " << header_value(headers, pipeline::dlq_error_header) << "\n";
    if (producer) {
      rd_kafka_headers_t* carried = rd_kafka_headers_new(headers.size() + 1);
      for (const auto& h : headers)
        if (!pipeline::is_dlq_bookkeeping_header(h.name))
          rd_kafka_header_add(carried, h.name.data(), static_cast<ssize_t>(h.name.size()), h.value.data(),
                              static_cast<ssize_t>(h.value.size()));
      rd_kafka_header_add(carried, pipeline::replayed_from_header.data(),
                          static_cast<ssize_t>(pipeline::replayed_from_header.size()), here.data(),
                          static_cast<ssize_t>(here.size()));
      const std::string topic(choice.topic);
      for (;;) {
        e = rd_kafka_producev(producer->get(), RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                              RD_KAFKA_V_KEY(m->key, m->key_len), RD_KAFKA_V_VALUE(m->payload, m->len),
                              RD_KAFKA_V_HEADERS(carried), RD_KAFKA_V_OPAQUE(&delivered), RD_KAFKA_V_END);
        if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL) break;
        rd_kafka_poll(producer->get(), 100);
      }
      if (e) {
        rd_kafka_headers_destroy(carried);  // owned by the message only once produced
        delivered.failures.push_back(topic + ": " + rd_kafka_err2str(e));
      }
    }
    if (m->offset + 1 >= s->end) {
      s->is_done = true;
      --open;
    }
    rd_kafka_message_destroy(m);
  }
  rd_kafka_consumer_close(rk);

  if (producer) {
    rd_kafka_flush(producer->get(), timeout);
    const int left = rd_kafka_outq_len(producer->get());
    if (left > 0)
      delivered.failures.push_back(std::to_string(left) + " record(s) not confirmed within " + std::to_string(q.timeout_ms) +
                                   " ms" + with_cause(*producer));
  }
  out << "read " << read << ", " << (q.is_dry_run ? "would replay " : "replayed ") << selected << ", skipped "
      << skipped;
  if (producer) out << ", delivered " << delivered.delivered;
  out << "\n";
  for (const auto& [why, n] : skipped_by_reason) out << "  skipped " << n << ": " << why << "\n";
  for (const auto& f : delivered.failures) {
    err << "herald replay-dlq: not delivered: " << f << "\n";
    status = exit_found;
  }
  return status;
}

}  // namespace herald::app
