// Production connections (docs/operations.md): Redis over TLS with an ACL user, and Kafka over
// SASL/PLAIN, against the local services' redis-secure and the broker's SASL_PLAINTEXT listener
// (deploy/local/services; `services env` names them). What works is used end to end by the herald
// binary; what is misconfigured must fail at start-up with a message naming the cause.
//
// The tests skip, saying why, when those services are not running; under deploy/local/test
// (HERALD_SECURE_SERVICES_REQUIRED=1) that is a failure instead.
#include <doctest/doctest.h>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "common/run_coroutine.hpp"
#include "herald/redis/client.hpp"
#include "support/e2e_harness.hpp"

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using namespace herald::test;
using herald::config::redis_config;

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v == nullptr ? std::string() : std::string(v);
}

bool port_answers(const std::string& host, int port) {
  asio::io_context io;
  asio::ip::tcp::socket s(io);
  boost::system::error_code ec;
  s.connect({asio::ip::make_address(host), static_cast<unsigned short>(port)}, ec);
  return !ec;
}

// Empty when the service can be used, else why not (for the skip message).
std::string missing(const std::vector<const char*>& vars, const std::string& what, const std::string& host_port) {
  for (const char* v : vars)
    if (env(v).empty()) return std::string(v) + " is not set";
  const auto colon = host_port.rfind(':');
  if (!port_answers(host_port.substr(0, colon), std::stoi(host_port.substr(colon + 1))))
    return what + " does not answer on " + host_port;
  return {};
}

// True when the test may go on; else it is skipped (with a message), or failed where the
// secure services are required.
bool have(const std::string& why_not, const char* service) {
  if (why_not.empty()) return true;
  const std::string text = std::string(service) + " not available (" + why_not +
                           "): start it with `deploy/local/services start` and eval \"$(deploy/local/services env)\"";
  if (env("HERALD_SECURE_SERVICES_REQUIRED") == "1") FAIL(text);
  MESSAGE("skipped: " << text);
  return false;
}

std::string redis_tls_endpoint() { return "127.0.0.1:" + env("HERALD_REDIS_TLS_PORT"); }

bool have_secure_redis() {
  return have(missing({"HERALD_REDIS_TLS_PORT", "HERALD_REDIS_ACL_PASSWORD", "HERALD_REDIS_LIMITED_PASSWORD",
                       "HERALD_TLS_DIR"},
                      "redis-secure", redis_tls_endpoint()),
              "redis-secure (Redis over TLS with ACL users)");
}

bool have_sasl_kafka() {
  return have(missing({"HERALD_KAFKA_SASL_BROKERS", "HERALD_KAFKA_SASL_USER", "HERALD_KAFKA_SASL_PASSWORD"},
                      "the broker's SASL listener", env("HERALD_KAFKA_SASL_BROKERS")),
              "Kafka's SASL_PLAINTEXT listener");
}

std::string tls_file(const char* name) { return env("HERALD_TLS_DIR") + "/" + name; }

redis_config secure_redis(const std::string& user, const std::string& password) {
  redis_config cfg;
  cfg.host = "127.0.0.1";
  cfg.port = static_cast<std::uint16_t>(std::stoi(env("HERALD_REDIS_TLS_PORT")));
  cfg.username = user;
  cfg.password = password;
  cfg.connect_timeout_ms = 3000;
  cfg.reconnect_backoff_min_ms = 50;
  cfg.reconnect_backoff_max_ms = 200;
  cfg.tls.enabled = true;
  cfg.tls.ca_file = tls_file("ca.pem");
  return cfg;
}

redis_config acl_user() { return secure_redis(env("HERALD_REDIS_ACL_USER"), env("HERALD_REDIS_ACL_PASSWORD")); }

// What a client made with cfg does within a few seconds: connects (""), or is refused (why).
std::string connect_outcome(const redis_config& cfg) {
  std::string outcome = "(neither connected nor refused)";
  herald::testing::run_coroutine([&](asio::any_io_executor ex) -> asio::awaitable<void> {
    herald::redis::client c(ex, cfg);
    std::string refusal;
    c.on_server_refused([&](const std::string& why) { refusal = why; });
    c.start();
    asio::steady_timer timer(ex);
    for (int i = 0; i < 400 && !c.is_connected() && refusal.empty(); ++i) {
      timer.expires_after(10ms);
      co_await timer.async_wait(asio::use_awaitable);
    }
    if (c.is_connected()) {
      std::vector<herald::redis::command> commands;
      commands.push_back(herald::redis::command{"PING"});
      auto replies = co_await c.exec(std::move(commands));
      outcome = replies && replies->front().str == "PONG" ? "" : "connected, but PING failed";
    } else if (!refusal.empty()) {
      outcome = refusal;
    }
  }, 30s);
  return outcome;
}

// The first failure of a client that neither connects nor is refused, as its "redis unavailable"
// warning says it (exec() would only say "not connected"): stderr, where the log goes, is read
// back from a file for the while.
std::string last_failure(const redis_config& cfg) {
  char path[] = "/tmp/herald-secure-log-XXXXXX";
  const int file = ::mkstemp(path);
  REQUIRE(file >= 0);
  std::fflush(stderr);
  const int saved = ::dup(2);
  ::dup2(file, 2);
  bool is_connected = false;
  herald::testing::run_coroutine([&](asio::any_io_executor ex) -> asio::awaitable<void> {
    herald::redis::client c(ex, cfg);
    c.start();
    asio::steady_timer timer(ex, std::chrono::milliseconds(cfg.connect_timeout_ms + 1000));
    co_await timer.async_wait(asio::use_awaitable);
    is_connected = c.is_connected();
  }, 30s);
  std::fflush(stderr);
  ::dup2(saved, 2);
  ::close(saved);
  ::close(file);
  std::ifstream in(path);
  std::string line, error;
  while (std::getline(in, line)) {
    rapidjson::Document d;
    d.Parse(line.c_str());
    if (d.IsObject() && d.HasMember("msg") && std::string(d["msg"].GetString()) == "redis unavailable")
      error = d["error"].GetString();
  }
  ::unlink(path);
  CHECK_FALSE(is_connected);
  return error;
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// --- Herald end to end ----------------------------------------------------------------------

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Rewrites the harness's config file: `edit` changes the parsed document.
void edit_config(const std::string& path, const std::function<void(rapidjson::Document&)>& edit) {
  rapidjson::Document doc;
  doc.Parse(read_text(path).c_str());
  REQUIRE_FALSE(doc.HasParseError());
  edit(doc);
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  doc.Accept(writer);
  std::ofstream(path) << buffer.GetString();
}

void set_string(rapidjson::Value& object, const char* key, const std::string& value, rapidjson::Document& doc) {
  rapidjson::Value v(value.c_str(), doc.GetAllocator());
  if (object.HasMember(key)) {
    object[key] = v;
  } else {
    object.AddMember(rapidjson::Value(key, doc.GetAllocator()), v, doc.GetAllocator());
  }
}

// Points the config's ledger at redis-secure as cfg says (the password through ${VAR}).
void use_secure_redis(rapidjson::Document& doc, const redis_config& cfg, const std::string& password_var) {
  auto& a = doc.GetAllocator();
  rapidjson::Value redis(rapidjson::kObjectType);
  redis.AddMember("host", rapidjson::Value(cfg.host.c_str(), a), a);
  redis.AddMember("port", cfg.port, a);
  redis.AddMember("username", rapidjson::Value(cfg.username.c_str(), a), a);
  redis.AddMember("password", rapidjson::Value(("${" + password_var + "}").c_str(), a), a);
  redis.AddMember("key_prefix", rapidjson::Value(doc["redis"]["key_prefix"].GetString(), a), a);
  rapidjson::Value tls(rapidjson::kObjectType);
  tls.AddMember("enabled", true, a);
  tls.AddMember("ca_file", rapidjson::Value(cfg.tls.ca_file.c_str(), a), a);
  if (!cfg.tls.server_name.empty()) tls.AddMember("server_name", rapidjson::Value(cfg.tls.server_name.c_str(), a), a);
  redis.AddMember("tls", tls, a);
  doc["redis"] = redis;
}

// Points the config's Kafka clients at the SASL listener, the password through ${VAR}.
void use_sasl_kafka(rapidjson::Document& doc, const std::string& password_var) {
  auto& kafka = doc["kafka"];
  set_string(kafka, "brokers", env("HERALD_KAFKA_SASL_BROKERS"), doc);
  for (const char* side : {"consumer_properties", "producer_properties"}) {
    rapidjson::Value props(rapidjson::kObjectType);
    auto& a = doc.GetAllocator();
    props.AddMember("security.protocol", "SASL_PLAINTEXT", a);
    props.AddMember("sasl.mechanisms", "PLAIN", a);
    props.AddMember("sasl.username", rapidjson::Value(env("HERALD_KAFKA_SASL_USER").c_str(), a), a);
    props.AddMember("sasl.password", rapidjson::Value(("${" + password_var + "}").c_str(), a), a);
    kafka.AddMember(rapidjson::Value(side, a), props, a);
  }
}

std::string event_json(int i) {
  return R"({"event_id":"sec-)" + std::to_string(i) + R"(","account":"shop-a","order_id":"so)" + std::to_string(i) +
         R"(","recipient":{"oaid":"soaid)" + std::to_string(i) +
         R"("},"sign_name":"HeraldShop","template_code":"SMS_100","params":{"code":"1"},"category":"transactional"})";
}

// One Herald run's world: topics, simulator, a config file whose redis and kafka sections the
// test then edits.
struct world {
  std::string events = unique_name("sec-events");
  std::string results = unique_name("sec-outcomes");
  std::string dlq = unique_name("sec-dlq");
  // Under herald:, the key pattern redis-secure's ACL users may use.
  std::string prefix = "herald:" + unique_name("sec") + ":";
  std::string secret = unique_name("secret");
  gateway_simulator sim{{{"app-1", secret}}};
  std::string config_path;

  world() {
    create_topic(events, 2);
    create_topic(results, 1);
    create_topic(dlq, 1);
    const std::string accounts = R"({"shop-a": {"gateway": "fw199_taobao", "endpoint": ")" + sim.url("/jst/sms/oaid/send") +
                                 R"(", "app_id": "app-1", "app_secret": "${TEST_FW199_SECRET}", "seller_nick": "n"}})";
    config_path = write_config(events, results, dlq, unique_name("sec-group"), prefix, accounts);
  }

  std::unique_ptr<child_process> start(std::map<std::string, std::string> extra_env = {}) const {
    extra_env["TEST_FW199_SECRET"] = secret;
    return start_herald(config_path, std::move(extra_env));
  }

  // Sends `n` events and expects them all sent.
  void expect_sent(child_process& herald, int n) {
    std::vector<std::string> values;
    for (int i = 0; i < n; ++i) values.push_back(event_json(i));
    produce(events, values);
    const auto outcomes = consume(results, static_cast<std::size_t>(n), 60s, 1s);
    INFO("herald log tail:\n", herald.log_tail());
    REQUIRE(outcomes.size() == static_cast<std::size_t>(n));
    for (const auto& o : outcomes) CHECK_MESSAGE(contains(o.value, R"("status":"sent")"), o.value);
    CHECK(sim_stat(sim.get("/_sim/stats"), "items_accepted") == n);
    CHECK(herald.is_running());
  }
};

// Herald must stop by itself (exit 3: a deployment error) with an error log line holding each of
// `parts`.
void expect_start_failure(child_process& herald, const std::vector<std::string>& parts) {
  const auto code = herald.wait(45s);
  const std::string log = herald.log_tail(20000);
  INFO("herald log tail:\n", log);
  REQUIRE_MESSAGE(code.has_value(), "herald did not stop by itself");
  CHECK(*code == 3);
  for (const auto& p : parts) CHECK_MESSAGE(contains(log, p), p);
}

}  // namespace

// --- The client against redis-secure ------------------------------------------------------

TEST_CASE("over TLS as the ACL user the client connects, the server checked by its IP address or its DNS name") {
  if (!have_secure_redis()) return;
  CHECK(connect_outcome(acl_user()) == "");
  // The server name defaults to the host (127.0.0.1, an IP SAN); a DNS name works as well.
  auto by_name = acl_user();
  by_name.tls.server_name = "localhost";
  CHECK(connect_outcome(by_name) == "");
}

TEST_CASE("a wrong password or an unknown user is refused, naming AUTH and the user, never the password") {
  if (!have_secure_redis()) return;
  auto wrong = acl_user();
  wrong.password = "not-the-password-123";
  const auto why = connect_outcome(wrong);
  CHECK(contains(why, "redis 127.0.0.1:" + env("HERALD_REDIS_TLS_PORT") + ": AUTH refused for user 'herald': WRONGPASS"));
  CHECK_FALSE(contains(why, "not-the-password-123"));
  auto unknown = acl_user();
  unknown.username = "nobody";
  CHECK(contains(connect_outcome(unknown), "AUTH refused for user 'nobody': WRONGPASS"));
}

TEST_CASE("a certificate that does not verify is refused, saying which certificate, why, and the name checked") {
  if (!have_secure_redis()) return;
  auto other_ca = acl_user();
  other_ca.tls.ca_file = tls_file("untrusted-ca.pem");
  const auto why = connect_outcome(other_ca);
  CHECK(contains(why, "TLS handshake failed: certificate verify failed: "));
  CHECK(contains(why, "CN=Herald local test CA"));  // the issuer nothing here trusts
  CHECK(contains(why, "server name '127.0.0.1'"));

  auto wrong_name = acl_user();
  wrong_name.tls.server_name = "redis.example.com";
  CHECK(contains(connect_outcome(wrong_name),
                 "certificate verify failed: the certificate is not for 'redis.example.com'"));
}

TEST_CASE("TLS to a plain port, and plain to the TLS port, say what is wrong") {
  if (!have_secure_redis()) return;
  auto tls_to_plain = acl_user();
  tls_to_plain.port = static_cast<std::uint16_t>(redis_port());
  // Redis's plain port waits for the rest of what it takes for a command: a timeout, not a
  // refusal (a slow network looks the same), with the likely cause.
  tls_to_plain.connect_timeout_ms = 500;
  CHECK(last_failure(tls_to_plain) ==
        "redis 127.0.0.1:" + std::to_string(redis_port()) +
            ": TLS handshake timed out after 500 ms (no TLS answer: a plain Redis port?)");

  // Not refused either (a plain client cannot tell a TLS port from a server closing on it).
  auto plain = acl_user();
  plain.tls.enabled = false;
  plain.connect_timeout_ms = 500;
  CHECK(last_failure(plain) == "redis " + redis_tls_endpoint() +
                                   ": handshake failed: connection closed by the server before it answered "
                                   "(a TLS port? redis.tls.enabled is false)");
}

TEST_CASE("mutual TLS: a client certificate from the trusted CA is accepted, another one refused") {
  if (!have_secure_redis()) return;
  auto mutual = acl_user();
  mutual.tls.cert_file = tls_file("client.pem");
  mutual.tls.key_file = tls_file("client.key");
  CHECK(connect_outcome(mutual) == "");

  auto untrusted = acl_user();
  untrusted.tls.cert_file = tls_file("untrusted-client.pem");
  untrusted.tls.key_file = tls_file("untrusted-client.key");
  CHECK(contains(connect_outcome(untrusted), "the server refused the client certificate"));

  auto mismatched = acl_user();
  mismatched.tls.cert_file = tls_file("client.pem");
  mismatched.tls.key_file = tls_file("untrusted-client.key");
  asio::io_context io;
  const std::string mismatch = "redis.tls.key_file '" + tls_file("untrusted-client.key") +
                               "': cannot load the private key: key values mismatch";
  CHECK_THROWS_WITH_AS(herald::redis::client(io.get_executor(), mismatched), doctest::Contains(mismatch.c_str()),
                       std::runtime_error);
  auto no_ca = acl_user();
  no_ca.tls.ca_file = tls_file("no-such-ca.pem");
  CHECK_THROWS_WITH_AS(herald::redis::client(io.get_executor(), no_ca),
                       doctest::Contains("redis.tls.ca_file '"), std::runtime_error);
}

// --- herald run against redis-secure and the SASL listener ---------------------------------

TEST_CASE("herald sends events end to end with its ledger on Redis over TLS as the minimal ACL user") {
  if (!have_secure_redis()) return;
  world w;
  edit_config(w.config_path, [](rapidjson::Document& doc) { use_secure_redis(doc, acl_user(), "TEST_REDIS_PASSWORD"); });
  auto herald = w.start({{"TEST_REDIS_PASSWORD", env("HERALD_REDIS_ACL_PASSWORD")}});
  w.expect_sent(*herald, 6);
  CHECK(contains(herald->log_tail(20000), R"("msg":"redis connected")"));
}

TEST_CASE("herald with a wrong Redis password stops at start-up naming AUTH") {
  if (!have_secure_redis()) return;
  world w;
  edit_config(w.config_path, [](rapidjson::Document& doc) { use_secure_redis(doc, acl_user(), "TEST_REDIS_PASSWORD"); });
  auto herald = w.start({{"TEST_REDIS_PASSWORD", "wrong-test-password"}});
  expect_start_failure(*herald, {R"("level":"error","msg":"redis AUTH refused")", "AUTH refused for user 'herald': WRONGPASS"});
  CHECK_FALSE(contains(herald->log_tail(20000), "wrong-test-password"));
}

TEST_CASE("herald with a CA that did not sign the Redis server's certificate stops at start-up naming it") {
  if (!have_secure_redis()) return;
  world w;
  auto cfg = acl_user();
  cfg.tls.ca_file = tls_file("untrusted-ca.pem");
  edit_config(w.config_path, [&](rapidjson::Document& doc) { use_secure_redis(doc, cfg, "TEST_REDIS_PASSWORD"); });
  auto herald = w.start({{"TEST_REDIS_PASSWORD", env("HERALD_REDIS_ACL_PASSWORD")}});
  expect_start_failure(*herald, {R"("msg":"redis TLS handshake refused")", "certificate verify failed"});
}

TEST_CASE("herald over Kafka SASL/PLAIN, the password from the environment, sends events end to end") {
  if (!have_sasl_kafka()) return;
  world w;
  edit_config(w.config_path, [](rapidjson::Document& doc) { use_sasl_kafka(doc, "TEST_KAFKA_PASSWORD"); });
  auto herald = w.start({{"TEST_KAFKA_PASSWORD", env("HERALD_KAFKA_SASL_PASSWORD")}});
  w.expect_sent(*herald, 6);
}

TEST_CASE("herald with a wrong Kafka SASL password stops at start-up naming the authentication failure") {
  if (!have_sasl_kafka()) return;
  world w;
  edit_config(w.config_path, [](rapidjson::Document& doc) { use_sasl_kafka(doc, "TEST_KAFKA_PASSWORD"); });
  auto herald = w.start({{"TEST_KAFKA_PASSWORD", "wrong-test-password"}});
  expect_start_failure(*herald, {R"("msg":"herald cannot go on: stopping","cause":"the Kafka producer has a fatal error: the brokers refused Herald's credentials)",
                                 "SASL authentication error: Authentication failed"});
  CHECK_FALSE(contains(herald->log_tail(20000), "wrong-test-password"));
}

TEST_CASE("herald as a user without the scripts' commands sends nothing and stops with exit code 3 saying NOPERM") {
  // Not caught by the handshake (PING and INFO are allowed): the ledger's first script is refused.
  // Retrying would hold the events forever behind a ready pod; the worker stops instead, sending
  // nothing unguarded, and the events are consumed again once the ACL rule is fixed.
  if (!have_secure_redis()) return;
  world w;
  const auto limited = secure_redis(env("HERALD_REDIS_LIMITED_USER"), env("HERALD_REDIS_LIMITED_PASSWORD"));
  edit_config(w.config_path, [&](rapidjson::Document& doc) { use_secure_redis(doc, limited, "TEST_REDIS_PASSWORD"); });
  auto herald = w.start({{"TEST_REDIS_PASSWORD", env("HERALD_REDIS_LIMITED_PASSWORD")}});
  produce(w.events, {event_json(1)});
  expect_start_failure(*herald, {R"("msg":"ledger reserve failed, retrying","error":"ledger reserve: NOPERM this user has no permissions to run the 'evalsha' command")",
                                 R"("msg":"herald cannot go on: stopping","cause":"the Redis user may not run the ledger's commands)"});
  CHECK(consume(w.results, 1, 2s, 0s).empty());  // no outcome: the event waits for a fixed rule
  CHECK(sim_stat(w.sim.get("/_sim/stats"), "items_accepted") == 0);
}
