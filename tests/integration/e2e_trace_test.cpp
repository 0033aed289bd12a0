// End to end for the W3C trace context (docs/operations.md, Tracing; docs/events.md, Trace
// context): events produced with traceparent/tracestate headers (valid, of a later version,
// invalid, absent) against real Kafka, Redis, the gateway simulator throttling calls and the herald
// binary. The headers must reach each event's outcome record, an invalid event's DLQ copy, and the
// outcome of an event that waited on the retry topic; the event's log lines carry its trace_id.
#include <doctest/doctest.h>
#include <librdkafka/rdkafka.h>
#include <rapidjson/document.h>

#include <csignal>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>

#include "support/e2e_harness.hpp"

using namespace herald::test;
using namespace std::chrono_literals;

namespace {

struct traced_record {
  std::string key;
  std::string value;
  std::vector<std::pair<std::string, std::string>> headers;
};

// Produces the records (key = the event id) with their headers and waits for every delivery.
void produce_with_headers(const std::string& topic, const std::vector<traced_record>& records) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  char err[512];
  rd_kafka_conf_set(conf, "bootstrap.servers", kafka_brokers().c_str(), err, sizeof err);
  int failed = 0;
  rd_kafka_conf_set_opaque(conf, &failed);
  rd_kafka_conf_set_dr_msg_cb(conf, [](rd_kafka_t*, const rd_kafka_message_t* m, void* opaque) {
    if (m->err) ++*static_cast<int*>(opaque);
  });
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
  if (!rk) throw std::runtime_error(std::string("producer: ") + err);
  for (const auto& r : records) {
    rd_kafka_headers_t* hdrs = rd_kafka_headers_new(r.headers.size());
    for (const auto& [name, value] : r.headers)
      rd_kafka_header_add(hdrs, name.data(), static_cast<ssize_t>(name.size()), value.data(),
                          static_cast<ssize_t>(value.size()));
    auto e = rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                               RD_KAFKA_V_KEY(r.key.data(), r.key.size()),
                               RD_KAFKA_V_VALUE(const_cast<char*>(r.value.data()), r.value.size()),
                               RD_KAFKA_V_HEADERS(hdrs), RD_KAFKA_V_END);
    if (e) {
      rd_kafka_headers_destroy(hdrs);
      rd_kafka_destroy(rk);
      throw std::runtime_error(std::string("produce: ") + rd_kafka_err2str(e));
    }
  }
  rd_kafka_flush(rk, 30000);
  const int left = rd_kafka_outq_len(rk);
  rd_kafka_destroy(rk);
  if (left != 0 || failed != 0) throw std::runtime_error("produce: a message was not delivered");
}

std::string sms_event(const std::string& event_id, int i) {
  return R"({"event_id":")" + event_id + R"(","account":"ali","order_id":"o-)" + event_id +
         R"(","recipient":{"phone":"138)" + std::to_string(20000000 + i) +
         R"("},"sign_name":"HeraldShop","template_code":"SMS_100","params":{"code":"1234"}})";
}

// A distinct valid trace id per event: 32 lower-case hex digits, never all zeros.
std::string trace_id_of(int i) {
  char buf[33];
  std::snprintf(buf, sizeof buf, "4bf92f3577b34da6a3ce929d%08x", 0x10000 + i);
  return buf;
}

std::string header_or(const kafka_record& r, const std::string& name, const std::string& fallback = "(none)") {
  auto it = r.headers.find(name);
  return it == r.headers.end() ? fallback : it->second;
}

std::string text_member(const rapidjson::Value& v, const char* name) {
  auto it = v.FindMember(name);
  return it != v.MemberEnd() && it->value.IsString() ? it->value.GetString() : "(none)";
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Whether some log line has this msg and this trace_id.
bool has_log_line(const std::string& log, const std::string& msg, const std::string& trace_id) {
  std::istringstream lines(log);
  for (std::string line; std::getline(lines, line);)
    if (line.find(R"("msg":")" + msg + R"(")") != std::string::npos &&
        line.find(R"("trace_id":")" + trace_id + R"(")") != std::string::npos)
      return true;
  return false;
}

}  // namespace

TEST_CASE("trace: traceparent and tracestate go from each event to its outcome, DLQ copy and retry envelope") {
  const std::string events = unique_name("tr-events");
  const std::string results = unique_name("tr-outcomes");
  const std::string dlq = unique_name("tr-dlq");
  const std::string secret = unique_name("secret");
  // Two calls a second against Herald's 50, one event a call: most sends are throttled, and with
  // no in-process wait every backoff goes through the retry topic.
  gateway_simulator sim({{"ak-test", secret}}, {"--rate-limit-qps", "2"});
  create_topic(events, 2);
  create_topic(results, 2);
  create_topic(dlq, 1);
  const std::string accounts = R"({"ali": {"gateway": "aliyun_sms", "endpoint": ")" + sim.url("/") +
                               R"(", "access_key_id": "ak-test", "access_key_secret": "${TEST_SECRET}",
    "max_batch": 1, "rate_limit_qps": 50}})";
  const std::string cfg = write_config(events, results, dlq, unique_name("tr-group"), unique_name("it-tr") + ":",
                                       accounts, R"("retry": {"max_attempts": 30, "backoff_base_ms": 200,
    "backoff_cap_ms": 1000, "max_in_process_delay_ms": 0},)");
  {
    // At debug level, so that the lines of a waiting event (parked, due) are written too.
    std::string text = read_file(cfg);
    const auto at = text.find(R"("log": {"level": "info"})");
    REQUIRE(at != std::string::npos);
    text.replace(at, sizeof R"("log": {"level": "info"})" - 1, R"("log": {"level": "debug"})");
    std::ofstream(cfg, std::ios::binary | std::ios::trunc) << text;
  }
  auto herald = start_herald(cfg, {{"TEST_SECRET", secret}});

  const std::string state = "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7";
  std::map<std::string, std::string> want_parent;  // event id -> traceparent on its records ("(none)")
  std::map<std::string, std::string> want_state;
  std::vector<traced_record> records;
  const int traced = 8;
  for (int i = 0; i < traced; ++i) {
    const std::string id = "tr-" + std::to_string(i);
    const std::string tp = "00-" + trace_id_of(i) + "-00f067aa0ba902b7-01";
    traced_record r{id, sms_event(id, i), {{"traceparent", tp}}};
    if (i % 2 == 0) r.headers.push_back({"tracestate", state});
    want_parent[id] = tp;
    want_state[id] = i % 2 == 0 ? state : "(none)";
    records.push_back(std::move(r));
  }
  // A later version: carried as version 00 (names in another case are read too).
  records.push_back({"tr-future", sms_event("tr-future", 100),
                     {{"TraceParent", "cc-" + trace_id_of(100) + "-00f067aa0ba902b7-01-what-the-future-will-be-like"},
                      {"TraceState", state}}});
  want_parent["tr-future"] = "00-" + trace_id_of(100) + "-00f067aa0ba902b7-01";
  want_state["tr-future"] = state;
  // An invalid traceparent (all-zero trace-id): the event is sent as any other, with no context.
  records.push_back({"tr-badparent", sms_event("tr-badparent", 101),
                     {{"traceparent", "00-00000000000000000000000000000000-00f067aa0ba902b7-01"}, {"tracestate", state}}});
  want_parent["tr-badparent"] = "(none)";
  want_state["tr-badparent"] = "(none)";
  records.push_back({"tr-none", sms_event("tr-none", 102), {}});
  want_parent["tr-none"] = "(none)";
  want_state["tr-none"] = "(none)";
  // An invalid event with a trace context: its outcome and its DLQ copy carry it.
  const std::string invalid_tp = "00-" + trace_id_of(200) + "-b7ad6b7169203331-00";
  records.push_back({"tr-invalid", R"({"event_id":"tr-invalid","account":"ali"})",
                     {{"traceparent", invalid_tp}, {"tracestate", state}}});
  want_parent["tr-invalid"] = invalid_tp;
  want_state["tr-invalid"] = state;
  produce_with_headers(events, records);

  auto outcomes = consume(results, records.size(), 120s, 2s);
  INFO("herald log tail:\n", herald->log_tail());
  REQUIRE(outcomes.size() == records.size());
  std::vector<std::string> retried_traced;  // traced events sent after at least one wait
  for (const auto& r : outcomes) {
    rapidjson::Document d;
    d.Parse(r.value.c_str());
    REQUIRE(d.IsObject());
    const std::string id = text_member(d, "event_id");
    CAPTURE(id);
    REQUIRE(want_parent.count(id) == 1);
    CHECK(text_member(d, "status") == (id == "tr-invalid" ? "invalid" : "sent"));
    CHECK(header_or(r, "traceparent") == want_parent[id]);
    CHECK(header_or(r, "tracestate") == want_state[id]);
    const std::string tp = want_parent[id];
    CHECK(text_member(d, "trace_id") == (tp == "(none)" ? "(none)" : tp.substr(3, 32)));
    if (tp != "(none)" && d["attempts"].GetInt() > 1) retried_traced.push_back(id);
  }
  // The throttled sends waited on the retry topic; their envelopes carried the context there and
  // back (read again when consumed: the outcomes above have it).
  const auto stats = sim.get("/_sim/stats");
  INFO("simulator stats: ", stats);
  REQUIRE(sim_stat(stats, "throttled") > 0);
  REQUIRE_FALSE(retried_traced.empty());
  auto envelopes = consume(events + ".retry", 1, 10s, 1s);
  int traced_envelopes = 0;
  for (const auto& e : envelopes) {
    const std::string tp = header_or(e, "traceparent");
    if (tp == "(none)") continue;
    ++traced_envelopes;
    bool is_known = false;
    for (const auto& [id, want] : want_parent) is_known = is_known || want == tp;
    CHECK_MESSAGE(is_known, "an envelope carries a traceparent no event had: ", tp);
  }
  CHECK(traced_envelopes > 0);

  auto dead = consume(dlq, 1, 20s);
  REQUIRE(dead.size() == 1);
  CHECK(dead[0].key == "tr-invalid");
  CHECK(header_or(dead[0], "traceparent") == invalid_tp);
  CHECK(header_or(dead[0], "tracestate") == state);
  CHECK(header_or(dead[0], "herald.error") != "(none)");

  const std::string log = read_file(herald->log_path());
  CHECK(has_log_line(log, "invalid event", trace_id_of(200)));
  const std::string& waited = retried_traced.front();
  CAPTURE(waited);
  CHECK(has_log_line(log, "event parked", want_parent[waited].substr(3, 32)));
  CHECK(has_log_line(log, "outcome", want_parent[waited].substr(3, 32)));
  // An invalid traceparent is a debug line at most, never a warning or an error.
  std::istringstream lines(log);
  for (std::string line; std::getline(lines, line);)
    if (line.find("traceparent") != std::string::npos) CHECK(line.find(R"("level":"debug")") != std::string::npos);
  CHECK(log.find(R"("msg":"traceparent ignored")") != std::string::npos);

  herald->signal(SIGTERM);
  CHECK(herald->wait(40s) == 0);
}
