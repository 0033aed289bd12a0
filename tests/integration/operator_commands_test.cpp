// The operator commands against the real Kafka, Redis and the gateway simulator
// (docs/operations.md, "Operator commands"): check-config --connect all OK and each kind of FAIL
// with its exit code, ledger get after a send, replay-dlq (dry run and real) of an invalid
// event's DLQ copy.
#include <doctest/doctest.h>
#include <rapidjson/document.h>
#include <signal.h>
#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "support/e2e_harness.hpp"
#include "support/test_certificates.hpp"

using namespace herald::test;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

struct cli_result {
  int code = -1;
  std::string out;
  std::string err;
};

std::string quoted(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

std::string read_all(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Runs `herald <args>` to completion (every command has its own timeouts; `timeout` is the backstop).
cli_result herald_cli(const std::vector<std::string>& args, const std::map<std::string, std::string>& env = {},
                      const std::string& stdin_text = "") {
  const fs::path dir = fs::temp_directory_path();
  const std::string id = unique_name("cli");
  const fs::path in = dir / (id + ".in"), out = dir / (id + ".out"), err = dir / (id + ".err");
  std::ofstream(in, std::ios::binary) << stdin_text;
  std::string cmd = "env";
  for (const auto& [k, v] : env) cmd += " " + quoted(k + "=" + v);
  cmd += " timeout 120 " + quoted(env_or("HERALD_BIN", "herald"));
  for (const auto& a : args) cmd += " " + quoted(a);
  cmd += " <" + quoted(in.string()) + " >" + quoted(out.string()) + " 2>" + quoted(err.string());
  const int status = std::system(cmd.c_str());
  cli_result r{WIFEXITED(status) ? WEXITSTATUS(status) : -1, read_all(out), read_all(err)};
  fs::remove(in);
  fs::remove(out);
  fs::remove(err);
  return r;
}

bool has_line_starting(const std::string& text, const std::string& start) {
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (line.rfind(start, 0) == 0) return true;
  return false;
}

std::string event_json(const std::string& event_id, const std::string& order_id, const std::string& oaid) {
  std::string id = event_id.empty() ? "" : R"("event_id":")" + event_id + R"(",)";
  return "{" + id + R"("account":"shop-a","order_id":")" + order_id + R"(","recipient":{"oaid":")" + oaid +
         R"("},"sign_name":"HeraldShop","template_code":"SMS_100","params":{"code":"1234"}})";
}

struct world {
  std::string events = unique_name("events");
  std::string results = unique_name("outcomes");
  std::string dlq = unique_name("dlq");
  std::string group = unique_name("group");
  std::string prefix = unique_name("it") + ":";
  std::string secret = unique_name("secret");
  gateway_simulator sim{{{"app-1", secret}}};
  std::map<std::string, std::string> env{{"TEST_FW199_SECRET", secret}};

  explicit world(bool with_dlq = true) {
    create_topic(events, 2);
    create_topic(results, 1);
    if (with_dlq) create_topic(dlq, 1);
  }
  std::string config(int redis_port_value = 0) const {
    const std::string accounts = R"({"shop-a": {"gateway": "fw199_taobao", "endpoint": ")" +
                                 sim.url("/jst/sms/oaid/send") +
                                 R"(", "app_id": "app-1", "app_secret": "${TEST_FW199_SECRET}", "seller_nick": "s"}})";
    return write_config(events, results, dlq, group, prefix, accounts, "", redis_port_value);
  }
};

rapidjson::Document parse(const std::string& text) {
  rapidjson::Document d;
  d.Parse(text.c_str());
  REQUIRE_MESSAGE(d.IsObject(), "not a JSON object: ", text);
  return d;
}

}  // namespace

TEST_CASE("check-config --connect: every check OK against the local services and the simulator") {
  world w;
  auto r = herald_cli({"check-config", "-c", w.config(), "--connect"}, w.env);
  INFO(r.out, r.err);
  CHECK(r.code == 0);
  CHECK(has_line_starting(r.out, "OK   kafka topic " + w.events + " (consumed): 2 partition(s)"));
  CHECK(has_line_starting(r.out, "OK   kafka topic " + w.dlq + " (written): 1 partition(s)"));
  CHECK(has_line_starting(r.out, "OK   kafka topic " + w.events + ".retry (written): 2 partition(s)"));
  CHECK(has_line_starting(r.out, "OK   redis PING: answered PONG"));
  CHECK(has_line_starting(r.out, "OK   redis version: Redis 7."));
  for (const char* s : {"reserve", "write", "settle"})
    CHECK(has_line_starting(r.out, std::string("OK   redis script ") + s + ": loaded, sha1 "));
  CHECK(has_line_starting(r.out, "OK   account shop-a endpoint " + w.sim.url("/jst/sms/oaid/send") +
                                     ": connected to 127.0.0.1:" + std::to_string(w.sim.port()) + ", TLS"));
  CHECK(r.out.find("certificate subject \"CN=127.0.0.1\", issuer \"CN=herald-test-ca\", notAfter ") != std::string::npos);
  CHECK(has_line_starting(r.out, "all checks OK"));
  CHECK_FALSE(has_line_starting(r.out, "FAIL"));
}

TEST_CASE("check-config --connect: a missing topic, a wrong Redis port and an untrusted certificate FAIL with exit code 4") {
  world w(/*with_dlq=*/false);
  const int port = free_port();
  const std::string cfg_path = w.config(port);
  // Another CA than the one that signed the simulator's certificate.
  herald::http_test::test_ca other("herald-other-ca");
  const fs::path other_ca = fs::temp_directory_path() / (unique_name("other-ca") + ".pem");
  std::ofstream(other_ca) << other.ca_pem();
  std::string text = read_all(cfg_path);
  const std::string ca = test_tls().ca_file;
  REQUIRE(text.find(ca) != std::string::npos);
  text.replace(text.find(ca), ca.size(), other_ca.string());
  std::ofstream(cfg_path, std::ios::trunc) << text;

  auto r = herald_cli({"check-config", "-c", cfg_path, "--connect", "--timeout-ms", "3000"}, w.env);
  INFO(r.out, r.err);
  CHECK(r.code == 4);
  CHECK(has_line_starting(r.out, "OK   kafka topic " + w.events + " (consumed): 2 partition(s)"));
  CHECK(has_line_starting(r.out, "FAIL kafka topic " + w.dlq + " (written): missing"));
  CHECK(has_line_starting(r.out, "FAIL redis 127.0.0.1:" + std::to_string(port) + ": connect 127.0.0.1:" +
                                     std::to_string(port) + ": Connection refused"));
  CHECK(has_line_starting(r.out, "FAIL account shop-a endpoint " + w.sim.url("/jst/sms/oaid/send") +
                                     ": TLS handshake 127.0.0.1:" + std::to_string(w.sim.port()) +
                                     ": certificate verify failed"));
  CHECK(has_line_starting(r.out, "3 check(s) FAILED"));

  // A configuration error stays exit code 2, before anything connects.
  auto bad = herald_cli({"check-config", "-c", cfg_path, "--connect"});  // TEST_FW199_SECRET unset
  CHECK(bad.code == 2);
  CHECK(bad.out.find("OK   ") == std::string::npos);
}

TEST_CASE("ledger get after a send shows the record sent, its bucket TTL and the recipient's quota") {
  world w;
  const auto cfg = w.config();
  auto herald = start_herald(cfg, w.env);
  produce(w.events, {event_json("evt-ledger-1", "o-1", "oaid-1"), event_json("", "o-2", "oaid-2")});
  auto outcomes = consume(w.results, 2, 60s, 1s);
  INFO(herald->log_tail());
  REQUIRE(outcomes.size() == 2);
  std::map<std::string, rapidjson::Document> by_order;
  for (const auto& o : outcomes) {
    auto d = parse(o.value);
    REQUIRE(std::string(d["status"].GetString()) == "sent");
    by_order[d["order_id"].GetString()] = std::move(d);
  }
  herald->signal(SIGTERM);
  herald->wait(30s);

  // By event_id, with the recipient from the event itself (on stdin): the quota counter too.
  auto r = herald_cli({"ledger", "get", "-c", cfg, "--event", "-", "--json"}, w.env, event_json("evt-ledger-1", "o-1", "oaid-1"));
  INFO(r.out, r.err);
  REQUIRE(r.code == 0);
  auto d = parse(r.out);
  CHECK(std::string(d["event_id"].GetString()) == "evt-ledger-1");
  REQUIRE(d["record"].IsObject());
  CHECK(std::string(d["record"]["state"].GetString()) == "sent");
  CHECK(std::string(d["record"]["message_id"].GetString()) == by_order["o-1"]["gateway_message_id"].GetString());
  CHECK(d["record"]["bucket_ttl_seconds"].GetInt64() > 0);
  CHECK(std::string(d["record"]["bucket"].GetString()).rfind(w.prefix + "l:", 0) == 0);
  REQUIRE(d["quota"].IsArray());
  REQUIRE(d["quota"].Size() == 2);
  CHECK(std::string(d["quota"][0]["category"].GetString()) == "transactional");
  CHECK(d["quota"][0]["count"].GetInt64() == 1);
  CHECK(d["quota"][0]["ttl_seconds"].GetInt64() > 0);
  CHECK(d["quota"][1]["count"].GetInt64() == 0);

  // A derived id, from the fields it is made of: the outcome's event_id, state s, in text.
  r = herald_cli({"ledger", "get", "-c", cfg, "--account", "shop-a", "--order-id", "o-2", "--template-code", "SMS_100",
                  "--oaid", "oaid-2", "--category", "transactional"},
                 w.env);
  INFO(r.out, r.err);
  CHECK(r.code == 0);
  CHECK(has_line_starting(r.out, std::string("event_id:     ") + by_order["o-2"]["event_id"].GetString() + " (derived)"));
  CHECK(has_line_starting(r.out, "state:        sent"));
  CHECK(has_line_starting(r.out, std::string("message id:   ") + by_order["o-2"]["gateway_message_id"].GetString()));
  CHECK(r.out.find(": 1 of 20, TTL ") != std::string::npos);

  // An id never seen: state none, still exit 0; arguments that name nothing: exit 2, saying what is missing.
  r = herald_cli({"ledger", "get", "-c", cfg, "--account", "shop-a", "--event-id", "never-sent"}, w.env);
  CHECK(r.code == 0);
  CHECK(has_line_starting(r.out, "state:        none"));
  r = herald_cli({"ledger", "get", "-c", cfg, "--account", "shop-a", "--order-id", "o-2"}, w.env);
  CHECK(r.code == 2);
  CHECK(r.err.find("give --event-id, or the fields its derived id is made of") != std::string::npos);
  r = herald_cli({"ledger", "get", "-c", cfg, "--account", "shop-x", "--event-id", "e"}, w.env);
  CHECK(r.code == 2);
  CHECK(r.err.find("\"shop-x\" is not a configured account") != std::string::npos);
}

TEST_CASE("replay-dlq re-publishes an invalid event's original bytes and key; a dry run produces nothing") {
  world w;
  const auto cfg = w.config();
  auto herald = start_herald(cfg, w.env);
  const std::string bad = R"({"event_id":"evt-bad-1","order_id":"o-9","recipient":{"oaid":"x"},"sign_name":"S","template_code":"T"})";
  produce(w.events, {bad}, 1);
  auto copies = consume(w.dlq, 1, 60s, 1s);
  INFO(herald->log_tail());
  REQUIRE(copies.size() == 1);
  CHECK(copies[0].headers["herald.class"] == "invalid");
  herald->signal(SIGTERM);
  herald->wait(30s);

  auto r = herald_cli({"replay-dlq", "-c", cfg, "--dry-run"}, w.env);
  INFO(r.out, r.err);
  CHECK(r.code == 0);
  CHECK(has_line_starting(r.out, "would replay " + w.dlq + "[0]@" + std::to_string(copies[0].offset) + " -> " +
                                     w.events + ": class invalid"));
  CHECK(has_line_starting(r.out, "read 1, would replay 1, skipped 0"));
  CHECK(consume(w.events, 2, 3s, 1s).size() == 1);  // only the original

  r = herald_cli({"replay-dlq", "-c", cfg, "--reason-class", "throttled"}, w.env);
  CHECK(r.code == 0);
  CHECK(has_line_starting(r.out, "read 1, replayed 0, skipped 1, delivered 0"));
  CHECK(r.out.find("reason class invalid not selected") != std::string::npos);

  r = herald_cli({"replay-dlq", "-c", cfg, "--from", std::to_string(copies[0].offset), "--to", "end",
                  "--reason-class", "invalid"},
                 w.env);
  CHECK(r.code == 0);
  CHECK(has_line_starting(r.out, "read 1, replayed 1, skipped 0, delivered 1"));
  auto events = consume(w.events, 2, 15s, 1s);
  REQUIRE(events.size() == 2);
  const auto& replayed = events[0].headers.count("herald.replayed.from") ? events[0] : events[1];
  CHECK(replayed.value == bad);
  CHECK_FALSE(replayed.is_key_null);
  CHECK(replayed.key == "k0");  // the harness keys the i-th record "k<i>"
  CHECK(replayed.headers.at("herald.replayed.from") == w.dlq + "[0]@" + std::to_string(copies[0].offset));
  CHECK(replayed.headers.count("herald.error") == 0);

  // A time after the copy: nothing in range. A bad position: exit 2, naming it.
  r = herald_cli({"replay-dlq", "-c", cfg, "--from", "2099-01-01T00:00:00Z"}, w.env);
  CHECK(r.code == 0);
  CHECK(has_line_starting(r.out, "read 0, replayed 0"));
  r = herald_cli({"replay-dlq", "-c", cfg, "--from", "yesterday"}, w.env);
  CHECK(r.code == 2);
  CHECK(r.err.find("--from \"yesterday\"") != std::string::npos);
}
