// Production connections: redis.tls, and Kafka security properties with secrets from the
// environment, hidden by check-config's redacted JSON.
#include <doctest/doctest.h>

#include <rapidjson/document.h>

#include "config_test_support.hpp"
#include "herald/config/run_checks.hpp"

using namespace herald::config;
using namespace herald::config::test;

namespace {

herald_config with_redis(std::string_view redis_json, const fake_env& env = {}) {
  return parse_config(minimal_config("", std::string(R"("redis": )") + std::string(redis_json)), env.function());
}

}  // namespace

TEST_CASE("redis.tls is off by default and verifies the server when on") {
  const auto plain = with_redis("{}");
  CHECK_FALSE(plain.redis.tls.enabled);
  CHECK(plain.redis.tls.verify_peer);

  fake_env env{{{"REDIS_CA", "/etc/herald/redis-ca.pem"}}};
  const auto tls = with_redis(R"({"host": "10.0.0.5", "tls": {"enabled": true, "ca_file": "${REDIS_CA}",
      "server_name": "redis.internal", "cert_file": "/etc/herald/client.pem", "key_file": "/etc/herald/client.key"}})",
                              env);
  CHECK(tls.redis.tls.enabled);
  CHECK(tls.redis.tls.ca_file == "/etc/herald/redis-ca.pem");
  CHECK(tls.redis.tls.server_name == "redis.internal");
  CHECK(tls.redis.tls.verify_peer);
  CHECK(tls.redis.tls.cert_file == "/etc/herald/client.pem");
  CHECK(tls.redis.tls.key_file == "/etc/herald/client.key");
}

TEST_CASE("redis.tls errors name the option") {
  CHECK(error_of(minimal_config("", R"("redis": {"tls": {"enabled": true, "cert_file": "/c.pem"}})")) ==
        "redis.tls.key_file: cert_file and key_file go together (the client certificate and its private key)");
  CHECK(error_of(minimal_config("", R"("redis": {"tls": {"enabled": true, "key_file": "/c.key"}})")) ==
        "redis.tls.cert_file: cert_file and key_file go together (the client certificate and its private key)");
  CHECK(error_of(minimal_config("", R"("redis": {"tls": true})")).starts_with("redis.tls: "));
  CHECK(error_of(minimal_config("", R"("redis": {"tls": {"enable": true}})")) ==
        "redis.tls.enable: unknown key (did you mean \"enabled\"?)");
  CHECK(error_of(minimal_config("", R"("redis": {"tls": {"enabled": "yes"}})")).starts_with("redis.tls.enabled: "));
}

TEST_CASE("redis.tls.verify_peer false is named as a weakened protection, only with TLS on") {
  const auto off = security_warnings(with_redis(R"({"tls": {"enabled": true, "verify_peer": false}})"));
  REQUIRE(off.size() == 1);
  CHECK(off[0].starts_with("redis.tls.verify_peer is false: "));
  CHECK(security_warnings(with_redis(R"({"tls": {"enabled": false, "verify_peer": false}})")).empty());
  CHECK(security_warnings(with_redis(R"({"tls": {"enabled": true}})")).empty());
}

TEST_CASE("check-config shows redis.tls, paths but no secrets") {
  fake_env env{{{"REDIS_PASSWORD", "redis-acl-pw-1"}}};
  const auto cfg = with_redis(R"({"username": "herald", "password": "${REDIS_PASSWORD}", "tls": {"enabled": true,
      "ca_file": "/ca.pem", "server_name": "redis.internal", "cert_file": "/c.pem", "key_file": "/c.key"}})",
                              env);
  const std::string json = to_redacted_json(cfg);
  CHECK(json.find("redis-acl-pw-1") == std::string::npos);
  rapidjson::Document doc;
  doc.Parse(json.c_str());
  REQUIRE_FALSE(doc.HasParseError());
  const auto& tls = doc["redis"]["tls"];
  CHECK(tls["enabled"].GetBool());
  CHECK(tls["verify_peer"].GetBool());
  CHECK(std::string(tls["ca_file"].GetString()) == "/ca.pem");
  CHECK(std::string(tls["server_name"].GetString()) == "redis.internal");
  CHECK(std::string(tls["cert_file"].GetString()) == "/c.pem");
  CHECK(std::string(tls["key_file"].GetString()) == "/c.key");
  CHECK(std::string(doc["redis"]["password"].GetString()) == "***");
  // The printed configuration is itself a valid one that reads back the same.
  const auto again = parse_config(json, fake_env{}.function());
  CHECK(again.redis.tls.server_name == "redis.internal");
  CHECK(again.redis.tls.cert_file == "/c.pem");
}

TEST_CASE("Kafka security properties: secrets from the environment reach librdkafka and are hidden") {
  fake_env env{{{"KAFKA_PASSWORD", "sasl-pw-9"}, {"KEY_PASSWORD", "key-pw-10"}, {"OAUTH_SECRET", "oauth-s-11"}}};
  const auto cfg = parse_config(minimal_config("", R"("kafka": {
      "consumer_properties": {"security.protocol": "SASL_SSL", "sasl.mechanisms": "SCRAM-SHA-256",
                              "sasl.username": "herald", "sasl.password": "${KAFKA_PASSWORD}",
                              "ssl.ca.location": "/etc/herald/kafka-ca.pem", "ssl.key.password": "${KEY_PASSWORD}",
                              "ssl.key.pem": "-----BEGIN PRIVATE KEY-----x", "ssl.keystore.password": "ks-pw-12",
                              "sasl.oauthbearer.client.secret": "${OAUTH_SECRET}"},
      "producer_properties": {"security.protocol": "SASL_SSL", "sasl.mechanisms": "SCRAM-SHA-256",
                              "sasl.username": "herald", "sasl.password": "${KAFKA_PASSWORD}"}})"),
                                env.function());
  // As they are, to librdkafka.
  CHECK(cfg.kafka.consumer_properties.at("sasl.password") == "sasl-pw-9");
  CHECK(cfg.kafka.producer_properties.at("sasl.password") == "sasl-pw-9");
  CHECK(cfg.kafka.consumer_properties.at("ssl.key.password") == "key-pw-10");

  const std::string json = to_redacted_json(cfg);
  for (const char* secret : {"sasl-pw-9", "key-pw-10", "oauth-s-11", "ks-pw-12", "BEGIN PRIVATE KEY"})
    CHECK_MESSAGE(json.find(secret) == std::string::npos, secret);
  rapidjson::Document doc;
  doc.Parse(json.c_str());
  REQUIRE_FALSE(doc.HasParseError());
  const auto& consumer = doc["kafka"]["consumer_properties"];
  for (const char* hidden : {"sasl.password", "ssl.key.password", "ssl.key.pem", "ssl.keystore.password",
                             "sasl.oauthbearer.client.secret"}) {
    CAPTURE(hidden);
    CHECK(std::string(consumer[hidden].GetString()) == "***");
  }
  // What an operator needs to see to debug a connection stays visible.
  CHECK(std::string(consumer["security.protocol"].GetString()) == "SASL_SSL");
  CHECK(std::string(consumer["sasl.mechanisms"].GetString()) == "SCRAM-SHA-256");
  CHECK(std::string(consumer["sasl.username"].GetString()) == "herald");
  CHECK(std::string(consumer["ssl.ca.location"].GetString()) == "/etc/herald/kafka-ca.pem");
  CHECK(std::string(doc["kafka"]["producer_properties"]["sasl.password"].GetString()) == "***");
}

TEST_CASE("redis.cluster_nodes: seed nodes, one per element or comma-separated from the environment") {
  CHECK_FALSE(with_redis("{}").redis.is_cluster());
  fake_env env{{{"SEEDS", "10.0.0.1:7000,10.0.0.2:7000, "}}};
  const auto c = with_redis(R"({"cluster_nodes": ["redis-0.redis:6379", "${SEEDS}", "[fd00::1]:7001"]})", env);
  REQUIRE(c.redis.is_cluster());
  CHECK(c.redis.cluster_nodes ==
        std::vector<std::string>{"redis-0.redis:6379", "10.0.0.1:7000", "10.0.0.2:7000", "[fd00::1]:7001"});
}

TEST_CASE("redis.cluster_nodes errors name the element and what is wrong") {
  CHECK(error_of(minimal_config("", R"("redis": {"cluster_nodes": "h:1"})")).starts_with("redis.cluster_nodes: must be an array"));
  CHECK(error_of(minimal_config("", R"("redis": {"cluster_nodes": []})")).starts_with("redis.cluster_nodes: names no node"));
  CHECK(error_of(minimal_config("", R"("redis": {"cluster_nodes": ["h:1", "h2"]})")) ==
        "redis.cluster_nodes[1]: address 'h2': expected host:port");
  CHECK(error_of(minimal_config("", R"("redis": {"cluster_nodes": ["h:99999"]})")) ==
        "redis.cluster_nodes[0]: address 'h:99999': the port must be 1..65535");
  CHECK(error_of(minimal_config("", R"("redis": {"cluster_nodes": [7000]})")).starts_with("redis.cluster_nodes[0]: must be"));
  CHECK(error_of(minimal_config("", R"("redis": {"db": 2, "cluster_nodes": ["h:1"]})")) ==
        "redis.db: must be 0 with cluster_nodes: a Redis Cluster has only database 0");
  CHECK(error_of(minimal_config("", R"("redis": {"key_prefix": "h{x}:", "cluster_nodes": ["h:1"]})")) ==
        "redis.key_prefix: must hold no '{' or '}' with cluster_nodes: the ledger's keys carry their own hash tags (got \"h{x}:\")");
  CHECK(error_of(minimal_config("", R"("redis": {"key_prefix": "a}", "cluster_nodes": ["h:1"]})")).starts_with("redis.key_prefix: must hold no"));
  // One Redis has no slots: a brace there is only a character.
  CHECK(with_redis(R"({"key_prefix": "h{x}:"})").redis.key_prefix == "h{x}:");
}
