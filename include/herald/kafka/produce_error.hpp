#pragma once
// What a failed produce means for Herald, from librdkafka's error code alone (pure: unit-tested
// row by row). librdkafka retries what a broker may still accept by itself (the idempotent
// producer resends until delivery.timeout.ms), so a code that reaches Herald is either a time-out
// worth trying again later or something no retry can mend.
#include <cstdint>
#include <string_view>

namespace herald::kafka {

enum class produce_error {
  transient,         // may succeed later (brokers away, timed out, queue full): retried with backoff
  record_too_large,  // this record is over the producer's or the broker's limit: only a smaller one fits
  topic_unusable,    // the topic does not exist, may not be written, or refuses Herald's records
  fatal,             // the producer itself cannot go on (idempotence broken, a refused configuration)
  // Not produced, by Herald's choice: its source partition was given up before its transaction
  // committed (producer::drop_sources). Never a librdkafka code's meaning.
  dropped,
};

// Codes are rd_kafka_resp_err_t values; a code Herald does not know is transient (retried slowly
// and logged every time, never dropped).
produce_error classify_produce_error(int code) noexcept;
std::string_view to_string(produce_error e) noexcept;

// Backoff before the n-th (1-based) produce of a record again after a transient failure: 100 ms
// doubling up to 30 s.
std::int64_t produce_retry_delay_ms(std::uint32_t attempt) noexcept;

// Whether a message the consumer hands over with an error stands for one record of the partition
// (a record that could not be read: it gets an `invalid` outcome in the partition's order) rather
// than an error of the partition or the client (a log line and a metric): only codes about one
// record, and only with a real partition and offset.
bool is_record_error(int code, std::int32_t partition, std::int64_t offset) noexcept;

}  // namespace herald::kafka
