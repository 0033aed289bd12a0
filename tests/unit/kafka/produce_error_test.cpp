#include <doctest/doctest.h>
#include <librdkafka/rdkafka.h>

#include "herald/kafka/produce_error.hpp"

using herald::kafka::classify_produce_error;
using herald::kafka::is_record_error;
using herald::kafka::produce_error;
using herald::kafka::produce_retry_delay_ms;

namespace {

struct row {
  rd_kafka_resp_err_t code;
  produce_error kind;
};

// What each code means for Herald; the ones producev returns synchronously are here too
// (__UNKNOWN_TOPIC, MSG_SIZE_TOO_LARGE, __QUEUE_FULL, __FATAL).
constexpr row rows[] = {
    // Waiting may mend these.
    {RD_KAFKA_RESP_ERR__MSG_TIMED_OUT, produce_error::transient},
    {RD_KAFKA_RESP_ERR__TIMED_OUT, produce_error::transient},
    {RD_KAFKA_RESP_ERR__TRANSPORT, produce_error::transient},
    {RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN, produce_error::transient},
    {RD_KAFKA_RESP_ERR__QUEUE_FULL, produce_error::transient},
    {RD_KAFKA_RESP_ERR__RESOLVE, produce_error::transient},
    {RD_KAFKA_RESP_ERR__AUTHENTICATION, produce_error::transient},
    {RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE, produce_error::transient},
    {RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION, produce_error::transient},
    {RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT, produce_error::transient},
    {RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS, produce_error::transient},
    {RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS_AFTER_APPEND, produce_error::transient},
    {RD_KAFKA_RESP_ERR_NETWORK_EXCEPTION, produce_error::transient},
    {RD_KAFKA_RESP_ERR_KAFKA_STORAGE_ERROR, produce_error::transient},
    {RD_KAFKA_RESP_ERR_THROTTLING_QUOTA_EXCEEDED, produce_error::transient},
    {RD_KAFKA_RESP_ERR__PURGE_QUEUE, produce_error::transient},
    {RD_KAFKA_RESP_ERR_UNKNOWN, produce_error::transient},
    // Only a smaller record fits.
    {RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE, produce_error::record_too_large},
    {RD_KAFKA_RESP_ERR_RECORD_LIST_TOO_LARGE, produce_error::record_too_large},
    {RD_KAFKA_RESP_ERR_INVALID_MSG_SIZE, produce_error::record_too_large},
    // The topic cannot take Herald's records.
    {RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC, produce_error::topic_unusable},
    {RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION, produce_error::topic_unusable},
    {RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART, produce_error::topic_unusable},
    {RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED, produce_error::topic_unusable},
    {RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED, produce_error::topic_unusable},
    {RD_KAFKA_RESP_ERR_TOPIC_EXCEPTION, produce_error::topic_unusable},
    {RD_KAFKA_RESP_ERR_POLICY_VIOLATION, produce_error::topic_unusable},
    {RD_KAFKA_RESP_ERR_INVALID_RECORD, produce_error::topic_unusable},
    // The producer cannot go on.
    {RD_KAFKA_RESP_ERR__FATAL, produce_error::fatal},
    {RD_KAFKA_RESP_ERR__FENCED, produce_error::fatal},
    {RD_KAFKA_RESP_ERR_PRODUCER_FENCED, produce_error::fatal},
    {RD_KAFKA_RESP_ERR_INVALID_PRODUCER_EPOCH, produce_error::fatal},
    {RD_KAFKA_RESP_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER, produce_error::fatal},
    {RD_KAFKA_RESP_ERR_INVALID_REQUIRED_ACKS, produce_error::fatal},
    {RD_KAFKA_RESP_ERR_UNSUPPORTED_VERSION, produce_error::fatal},
    {RD_KAFKA_RESP_ERR_UNSUPPORTED_FOR_MESSAGE_FORMAT, produce_error::fatal},
    {RD_KAFKA_RESP_ERR__INVALID_ARG, produce_error::fatal},
    {RD_KAFKA_RESP_ERR__NOT_IMPLEMENTED, produce_error::fatal},
    {RD_KAFKA_RESP_ERR__UNSUPPORTED_FEATURE, produce_error::fatal},
    {RD_KAFKA_RESP_ERR__STATE, produce_error::fatal},
};

}  // namespace

TEST_CASE("librdkafka's produce errors, classified row by row") {
  for (const auto& r : rows) {
    CAPTURE(rd_kafka_err2name(r.code));
    CHECK(classify_produce_error(r.code) == r.kind);
  }
}

TEST_CASE("a code Herald does not know is transient: retried slowly, never dropped") {
  CHECK(classify_produce_error(12345) == produce_error::transient);
  CHECK(classify_produce_error(-12345) == produce_error::transient);
}

TEST_CASE("the kinds have names for log lines") {
  CHECK(to_string(produce_error::transient) == "transient");
  CHECK(to_string(produce_error::record_too_large) == "record_too_large");
  CHECK(to_string(produce_error::topic_unusable) == "topic_unusable");
  CHECK(to_string(produce_error::fatal) == "fatal");
  CHECK(to_string(produce_error::dropped) == "dropped");
}

TEST_CASE("a transient failure is produced again after 100 ms, doubling, at most 30 s apart") {
  CHECK(produce_retry_delay_ms(0) == 100);
  CHECK(produce_retry_delay_ms(1) == 100);
  CHECK(produce_retry_delay_ms(2) == 200);
  CHECK(produce_retry_delay_ms(3) == 400);
  CHECK(produce_retry_delay_ms(9) == 25'600);
  CHECK(produce_retry_delay_ms(10) == 30'000);
  CHECK(produce_retry_delay_ms(64) == 30'000);
  CHECK(produce_retry_delay_ms(4'000'000'000u) == 30'000);
}

TEST_CASE("a consume error stands for a record only when it is about one record at a real offset") {
  struct case_row {
    rd_kafka_resp_err_t code;
    std::int32_t partition;
    std::int64_t offset;
    bool is_record;
  };
  const case_row cases[] = {
      {RD_KAFKA_RESP_ERR__BAD_MSG, 0, 17, true},
      {RD_KAFKA_RESP_ERR__BAD_COMPRESSION, 2, 0, true},
      {RD_KAFKA_RESP_ERR_INVALID_MSG, 1, 5, true},
      {RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE, 1, 5, true},
      {RD_KAFKA_RESP_ERR__VALUE_DESERIALIZATION, 1, 5, true},
      // No real place in a partition.
      {RD_KAFKA_RESP_ERR__BAD_MSG, -1, 17, false},
      {RD_KAFKA_RESP_ERR__BAD_MSG, 0, -1, false},
      {RD_KAFKA_RESP_ERR__BAD_MSG, 0, RD_KAFKA_OFFSET_INVALID, false},
      // About a partition or the client, whatever offset they carry.
      {RD_KAFKA_RESP_ERR__PARTITION_EOF, 0, 42, false},
      {RD_KAFKA_RESP_ERR__AUTO_OFFSET_RESET, 0, 42, false},
      {RD_KAFKA_RESP_ERR_OFFSET_OUT_OF_RANGE, 0, 42, false},
      {RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART, 0, 42, false},
      {RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED, 0, 42, false},
      {RD_KAFKA_RESP_ERR__TRANSPORT, 0, 42, false},
  };
  for (const auto& c : cases) {
    CAPTURE(rd_kafka_err2name(c.code));
    CAPTURE(c.partition);
    CAPTURE(c.offset);
    CHECK(is_record_error(c.code, c.partition, c.offset) == c.is_record);
  }
}
