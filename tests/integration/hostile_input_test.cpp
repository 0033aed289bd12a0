// Hostile input against the real `herald` binary (real Kafka, Redis, the gateway simulator): one
// worker is fed record after record that a broken or malicious producer or gateway can send. After
// each one the worker must still run, the record must have its one `invalid` (or otherwise
// settled) outcome naming what was wrong and its DLQ copy, and a good event behind it must be sent.
// Before issue 12 several of these crashed the worker, and crashed it again on every restart.
#include <doctest/doctest.h>
#include <rapidjson/document.h>

#include <algorithm>
#include <csignal>
#include <ctime>
#include <thread>

#include "support/e2e_harness.hpp"
#include "support/test_http_server.hpp"

using namespace herald::test;
using namespace std::chrono_literals;

namespace {

struct outcome {
  std::string event_id, status, reason, outcome_class;
  std::int64_t offset = -1;
};

std::string member(const rapidjson::Value& v, const char* name) {
  auto it = v.FindMember(name);
  return it != v.MemberEnd() && it->value.IsString() ? it->value.GetString() : "";
}

std::vector<outcome> parse(const std::vector<kafka_record>& records) {
  std::vector<outcome> out;
  for (const auto& r : records) {
    rapidjson::Document d;
    d.Parse(r.value.c_str());
    REQUIRE_MESSAGE(d.IsObject(), "an outcome record is not a JSON object: ", r.value);
    outcome o;
    o.event_id = member(d, "event_id");
    o.status = member(d, "status");
    o.reason = member(d, "reason");
    o.outcome_class = member(d, "class");
    REQUIRE(d.HasMember("source"));
    o.offset = d["source"]["offset"].GetInt64();
    out.push_back(std::move(o));
  }
  return out;
}

std::string good_event(const std::string& id, const std::string& account = "shop",
                       const std::string& category = "transactional") {
  return R"({"event_id":")" + id + R"(","account":")" + account + R"(","order_id":"o-)" + id +
         R"(","recipient":{"oaid":"oaid-)" + id +
         R"("},"sign_name":"HeraldShop","template_code":"SMS_100","params":{"code":"1234"},"category":")" + category +
         R"("})";
}

// A valid event whose params carry `filler` bytes of text, so the whole event is about `size` bytes.
std::string sized_event(const std::string& id, std::size_t size, const std::string& category = "transactional") {
  std::string e = good_event(id, "shop", category);
  const std::string head = R"("params":{"code":"1234")";
  const auto at = e.find(head) + head.size();
  const std::size_t filler = size > e.size() + 16 ? size - e.size() - 16 : 1;
  e.insert(at, R"(,"pad":")" + std::string(filler, 'x') + "\"");
  return e;
}

// A marketing window that is closed now (one minute, twelve hours away, at UTC+8).
std::string closed_window() {
  const std::time_t now = std::time(nullptr);
  const int minute_now = static_cast<int>(((now / 60) + 8 * 60) % 1440);
  const int start = (minute_now + 720) % 1440;
  const int end = (start + 1) % 1440;
  char text[16];
  std::snprintf(text, sizeof text, "%02d:%02d-%02d:%02d", start / 60, start % 60, end / 60, end % 60);
  return text;
}

// The gateway that answers garbage: an in-process HTTP server on its own thread.
struct hostile_gateway {
  boost::asio::io_context io;
  herald::http_test::test_http_server server{io.get_executor(), nullptr};
  std::thread thread;
  explicit hostile_gateway(std::string body) {
    server.on_request([body = std::move(body)](const herald::http_test::server_request&) {
      herald::http_test::server_reply r;
      r.body = body;
      r.headers = {{"Content-Type", "application/json"}};
      return r;
    });
    thread = std::thread([this] { io.run(); });
  }
  ~hostile_gateway() {
    io.stop();
    thread.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(server.port()) + "/jst/sms/oaid/send"; }
};

struct hostile_world {
  std::string events = unique_name("hostile-events");
  std::string results = unique_name("hostile-outcomes");
  std::string dlq = unique_name("hostile-dlq");
  std::string group = unique_name("hostile-group");
  std::string prefix = unique_name("it-hostile") + ":";
  std::string secret = unique_name("secret");
  gateway_simulator sim{{{"app-1", secret}}};
  hostile_gateway deep{"{\"code\":0,\"data\":" + std::string(200'000, '[')};
  hostile_gateway huge{"{\"code\":0,\"message\":\"" + std::string(20u << 20, 'z') + "\"}"};
  // A refusal whose message alone is larger than a Kafka record: it ends in the outcome's reason.
  hostile_gateway wordy{"{\"code\":40001,\"message\":\"" + std::string(1'500'000, 'w') + "\"}"};
  std::unique_ptr<child_process> herald;
  std::size_t outcomes_seen = 0;
  std::size_t dlq_seen = 0;

  hostile_world() {
    create_topic(events, 1);
    create_topic(results, 1);
    create_topic(dlq, 1);
    auto account = [&](const std::string& name, const std::string& url, bool plain) {
      return "\"" + name + R"(": {"gateway": "fw199_taobao", "endpoint": ")" + url +
             R"(", "app_id": "app-1", "app_secret": "${TEST_SECRET}", "seller_nick": "seller",)" +
             (plain ? R"( "allow_plain_http": true,)" : "") + R"( "marketing_window": ")" + closed_window() + "\"}";
    };
    const std::string accounts = "{" + account("shop", sim.url("/jst/sms/oaid/send"), false) + ",\n" +
                                 account("deep", deep.url(), true) + ",\n" + account("huge", huge.url(), true) + ",\n" +
                                 account("wordy", wordy.url(), true) + "}";
    const auto cfg = write_config(events, results, dlq, group, prefix, accounts);
    herald = start_herald(cfg, {{"TEST_SECRET", secret}});
  }

  // Produces the records and then a good event; returns the outcomes of the records (by offset)
  // once the good one is sent, checking on the way that the worker lives and nothing is doubled.
  std::vector<outcome> feed(const std::vector<std::string>& records, const std::string& good_id) {
    std::vector<std::string> values = records;
    values.push_back(good_event(good_id));
    auto placed = produce(events, values, 0);
    outcomes_seen += values.size();
    auto all = parse(consume(results, outcomes_seen, 90s, 1500ms));
    INFO("herald log tail:\n", herald->log_tail());
    REQUIRE(herald->is_running());
    REQUIRE_MESSAGE(all.size() == outcomes_seen, "one outcome per record, no more, no less");
    std::vector<outcome> mine;
    for (std::size_t i = 0; i < values.size(); ++i) {
      const auto offset = placed[i].second;
      auto n = std::count_if(all.begin(), all.end(), [&](const outcome& o) { return o.offset == offset; });
      REQUIRE_MESSAGE(n == 1, "offset ", offset, " has ", n, " outcomes");
      mine.push_back(*std::find_if(all.begin(), all.end(), [&](const outcome& o) { return o.offset == offset; }));
    }
    CHECK_MESSAGE(mine.back().status == "sent", "the good event behind them: ", mine.back().reason);
    mine.pop_back();
    return mine;
  }

  // The DLQ copies seen so far, after `more` new ones are expected.
  std::vector<kafka_record> dlq_copies(std::size_t more) {
    dlq_seen += more;
    auto copies = consume(dlq, dlq_seen, 60s, 1000ms);
    INFO("herald log tail:\n", herald->log_tail());
    REQUIRE(copies.size() == dlq_seen);
    return copies;
  }

  const kafka_record& dlq_copy_of(const std::vector<kafka_record>& copies, std::int64_t offset) {
    auto it = std::find_if(copies.begin(), copies.end(), [&](const kafka_record& r) {
      auto h = r.headers.find("herald.source.offset");
      return h != r.headers.end() && h->second == std::to_string(offset);
    });
    REQUIRE_MESSAGE(it != copies.end(), "no DLQ copy of offset ", offset);
    return *it;
  }
};

bool has(const std::string& text, const std::string& what) { return text.find(what) != std::string::npos; }

}  // namespace

TEST_CASE("hostile records, one after another, never stop the worker") {
  hostile_world w;

  // 1. A value nested 60,000 levels deep (under max_event_bytes, so the parsers see it; 200,000
  //    used to overflow the stack): rejected without recursing on its bytes.
  {
    const std::string deep = "{\"t\":" + std::string(60'000, '[');
    auto o = w.feed({deep}, "g-deep");
    CHECK(o[0].status == "invalid");
    CHECK_MESSAGE((has(o[0].reason, "deep") || has(o[0].reason, "nest") || has(o[0].reason, "limit")), o[0].reason);
    auto copies = w.dlq_copies(1);
    CHECK(w.dlq_copy_of(copies, o[0].offset).value.size() == deep.size());
  }
  // 2. An invalid event of 1.01 MB: its DLQ copy cannot fit in a Kafka record, so it is cut to fit
  //    and says so.
  {
    const std::string big = "not json " + std::string(1'010'000, 'n');
    auto o = w.feed({big}, "g-big-invalid");
    CHECK(o[0].status == "invalid");
    CHECK_MESSAGE((has(o[0].reason, "1010009") || has(o[0].reason, "bytes")), o[0].reason);
    auto copies = w.dlq_copies(1);
    const auto& copy = w.dlq_copy_of(copies, o[0].offset);
    CHECK(copy.value.size() < big.size());
    CHECK(big.compare(0, copy.value.size(), copy.value) == 0);
    CHECK(copy.headers.count("herald.original.size") == 1);
    CHECK(copy.headers.count("herald.original.sha256") == 1);
    if (copy.headers.count("herald.original.size")) CHECK(copy.headers.at("herald.original.size") == std::to_string(big.size()));
  }
  // 3. A valid event of 1 MB, and one just over the default max_event_bytes (64 KiB): over the
  //    limit, both invalid with the size and the limit named.
  {
    const std::string mb = sized_event("e-1mb", 1'000'000);
    const std::string over = sized_event("e-over", 65'600);
    auto o = w.feed({mb, over}, "g-sizes");
    for (const auto& x : o) {
      CHECK(x.status == "invalid");
      CHECK_MESSAGE(has(x.reason, "65536"), x.reason);
    }
    w.dlq_copies(2);
  }
  // 4. Waiting events: one over the limit is invalid before it could wait; one just under it
  //    (the largest that can wait) is parked on the delay topic, whose envelope is producible.
  {
    const std::string over = sized_event("m-over", 70'000, "marketing");
    const std::string under = sized_event("m-under", 65'000, "marketing");
    REQUIRE(under.size() <= 65'536);
    auto placed_before = w.outcomes_seen;
    std::vector<std::string> values = {over, under, good_event("g-waiting")};
    auto placed = produce(w.events, values, 0);
    // The parked one has no outcome yet: only two new outcomes.
    w.outcomes_seen = placed_before + 2;
    auto all = parse(consume(w.results, w.outcomes_seen, 90s, 1500ms));
    INFO("herald log tail:\n", w.herald->log_tail());
    REQUIRE(w.herald->is_running());
    REQUIRE(all.size() == w.outcomes_seen);
    auto by_offset = [&](std::int64_t off) {
      return std::find_if(all.begin(), all.end(), [&](const outcome& x) { return x.offset == off; });
    };
    REQUIRE(by_offset(placed[0].second) != all.end());
    CHECK(by_offset(placed[0].second)->status == "invalid");
    CHECK(by_offset(placed[1].second) == all.end());
    REQUIRE(by_offset(placed[2].second) != all.end());
    CHECK(by_offset(placed[2].second)->status == "sent");
    auto envelopes = consume(w.events + ".delay", 1, 30s, 500ms);
    REQUIRE(envelopes.size() == 1);
    CHECK(envelopes[0].value.size() > under.size());
    w.dlq_copies(1);
  }
  // 5. Text that is not what it claims: each reason names the real problem.
  {
    std::string nul = good_event("t-nul");
    nul.insert(nul.begin(), '\0');
    std::string ctrl = good_event("t-ctrl");
    ctrl.replace(ctrl.find("o-t-ctrl"), 1, "\x01");
    std::string surrogate = good_event("t-sur");
    surrogate.replace(surrogate.find("o-t-sur"), 7, "\\udc00");
    std::string huge_number = good_event("t-num");
    huge_number.insert(huge_number.size() - 1, ",\"n\":1e999");
    std::string bad_utf8 = good_event("t-utf8");
    bad_utf8.replace(bad_utf8.find("o-t-utf8"), 1, "\xC3\x28");
    auto o = w.feed({nul, ctrl, surrogate, huge_number, bad_utf8}, "g-text");
    for (const auto& x : o) CHECK(x.status == "invalid");
    CHECK_MESSAGE((has(o[0].reason, "NUL") && !has(o[0].reason, "empty")), o[0].reason);
    CHECK_MESSAGE(has(o[1].reason, "control character"), o[1].reason);
    CHECK_MESSAGE(has(o[2].reason, "surrogate"), o[2].reason);
    CHECK_MESSAGE((has(o[3].reason, "1e999") || has(o[3].reason, "range")), o[3].reason);
    CHECK_MESSAGE(has(o[4].reason, "UTF-8"), o[4].reason);
    // An event rejected for its bytes carries none of them into its outcome (valid UTF-8 only).
    for (const auto& x : o) {
      CHECK(x.event_id.find('\0') == std::string::npos);
      CHECK(x.event_id.find('\x01') == std::string::npos);
    }
    CHECK(o[2].event_id == "t-sur");  // well-formed fields still identify it
    w.dlq_copies(5);
  }
  // 6. A UTF-8 byte order mark before the event: allowed (RFC 8259), skipped, sent.
  {
    auto o = w.feed({"\xEF\xBB\xBF" + good_event("t-bom")}, "g-bom");
    CHECK_MESSAGE(o[0].status == "sent", o[0].reason);
  }
  // 7. Gateways answering a body nested 200,000 deep, and a 20 MB body: the calls end (the send's
  //    fate is unknown: the request was written), the worker goes on.
  {
    auto o = w.feed({good_event("gw-deep", "deep"), good_event("gw-huge", "huge")}, "g-gateways");
    for (const auto& x : o) {
      CHECK(x.status != "sent");
      CHECK(x.status != "invalid");
    }
  }
  // 8. A gateway refusal with a 1.5 MB message: the outcome carries it cut to its bound (it used
  //    to be an outcome no broker takes, which stopped the worker, again after each restart).
  {
    auto o = w.feed({good_event("gw-wordy", "wordy")}, "g-wordy");
    CHECK(o[0].status != "sent");
    CHECK(o[0].reason.size() <= 1024);
  }
  CHECK(sim_stat(w.sim.get("/_sim/stats"), "duplicates") == 0);
  w.herald->signal(SIGTERM);
  CHECK(w.herald->wait(30s) == 0);
}
