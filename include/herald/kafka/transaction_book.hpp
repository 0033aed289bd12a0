#pragma once
// The records of a transactional producer from the moment Herald gives them until their
// transaction has committed or aborted, and what becomes of each then. Pure bookkeeping, no
// librdkafka: tests/unit/kafka/transaction_book_test.cpp follows records row by row.
//
// A record is in one of three places:
//   waiting - not given to librdkafka yet: no transaction is open (start-up, or one is ending),
//             librdkafka's queue was full, or it is produced again after an abort. In the order
//             they must be produced.
//   open    - given to librdkafka in the transaction that is open now.
//   ending  - of the transaction being committed or aborted (on the transaction thread).
// librdkafka knows a record by its slot (the message's opaque): the transaction's generation and
// the record's index in it. The record's bytes are one heap block that never moves while the
// record lives, so librdkafka may read them without a copy of its own until the delivery report.
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "herald/kafka/produce_error.hpp"
#include "herald/kafka/types.hpp"

namespace herald::kafka {

enum class record_state : std::uint8_t {
  unreported,  // waiting, or produced with no delivery report yet
  delivered,   // librdkafka delivered it: visible once its transaction commits
  retry,       // not delivered for a reason that passes: produced again in the next transaction
  failed,      // no retry can deliver it (kind, error): its target hears a failure, never a retry
  dropped,     // its source was dropped (producer::drop_sources): never produced again
};

struct txn_record {
  // key, then the value unless it is borrowed, then each header as
  // [u32 name size][u32 value size][name][value]: the one copy Herald keeps of the record.
  std::unique_ptr<char[]> bytes;
  const char* borrowed_value = nullptr;  // the owner's bytes, alive until its target heard (produce_borrowed)
  delivery_target* target = nullptr;
  source_tag source = 0;
  std::uint32_t topic = 0;  // the producer's number for the topic
  std::uint32_t key_size = 0;
  std::uint32_t value_size = 0;
  std::uint32_t header_bytes = 0;
  std::uint16_t header_count = 0;
  nulls null_parts;
  record_state state = record_state::unreported;
  produce_error kind = produce_error::transient;  // when failed
  std::string error;                              // librdkafka's text, when failed

  std::string_view key() const noexcept { return {bytes.get(), key_size}; }
  std::string_view value() const noexcept {
    return borrowed_value ? std::string_view(borrowed_value, value_size)
                          : std::string_view(bytes.get() + key_size, value_size);
  }
  // Calls f(name, value) for each header, in order.
  template <typename F>
  void for_each_header(F&& f) const {
    const char* p = bytes.get() + key_size + (borrowed_value ? 0 : value_size);
    for (std::uint16_t i = 0; i < header_count; ++i) {
      std::uint32_t n = 0, v = 0;
      __builtin_memcpy(&n, p, 4);
      __builtin_memcpy(&v, p + 4, 4);
      f(std::string_view(p + 8, n), std::string_view(p + 8 + n, v));
      p += 8 + n + v;
    }
  }
};

// One allocation (none for a borrowed value with an empty key and no headers).
txn_record make_txn_record(std::uint32_t topic, std::string_view key, std::string_view value,
                           std::span<const header> headers, delivery_target* target, nulls null_parts,
                           source_tag source, bool borrow_value);

class transaction_book {
 public:
  // The transaction's generation (low 32 bits) and the record's index in it; never 0.
  using slot = std::uint64_t;

  // A new record. Returns its slot when it joined the open transaction (produce it now), nullopt
  // when it waits (no transaction open, or others wait before it).
  std::optional<slot> add(txn_record r);
  // Moves the first waiting record into the open transaction (nullopt: none waits, or none is open).
  std::optional<slot> open_next_waiting();
  // librdkafka's queue was full: the record opened last waits again, first in line.
  void unopen_last();
  // The record of an open or ending transaction; nullptr for a slot of neither.
  txn_record* find(slot s);

  // What librdkafka said of a record (its delivery report, or produce() refusing it): delivered,
  // retry, or failed with the kind and text. Returns false for a slot of no open or ending
  // transaction. A retry or failure in the open transaction means it must be aborted.
  bool on_report(slot s, record_state state, produce_error kind = produce_error::transient,
                 std::string_view error = {});

  // The records whose source is one of tags: the waiting ones are taken out and returned (their
  // targets hear `dropped` now); the open ones are marked dropped (the open transaction must then
  // be aborted); those of the ending transaction are marked dropped too and hear `dropped` if it
  // aborts, `delivered` if its commit succeeds (they are in Kafka then).
  std::vector<txn_record> drop(std::span<const source_tag> tags);

  // The transaction thread began a transaction: records may be produced into it.
  void began();
  // A commit point: the open transaction becomes the ending one (none may be ending yet).
  void end_open();
  // The ending transaction committed: hear(txn_record&) for each of its records whose target
  // hears now, state delivered or failed (a dropped record is in Kafka now: delivered). A record
  // librdkafka reported as retry (not written, though the commit succeeded) waits to be produced
  // again instead. hear may add records (they wait: no transaction is open yet).
  template <typename F>
  void committed(F&& hear) {
    std::vector<txn_record> again;
    for (auto& r : ending_) {
      if (r.state == record_state::retry) {
        again.push_back(std::move(r));
        continue;
      }
      if (r.state != record_state::failed) r.state = record_state::delivered;
      hear(r);
    }
    finish_ending(again);
  }
  // The ending transaction's records for which pred(record) gives an error text fail with it (a
  // transaction error that names no record, e.g. its topic was deleted: the producer finds which
  // topics). Dropped ones stay dropped.
  template <typename P>
  void fail_ending(P&& pred, produce_error kind) {
    for (auto& r : ending_) {
      if (r.state == record_state::dropped) continue;
      if (std::string_view error = pred(r); !error.empty()) {
        r.state = record_state::failed;
        r.kind = kind;
        r.error.assign(error);
      }
    }
  }
  // The ending transaction aborted: hear(txn_record&) for its failed and dropped records; the
  // others wait to be produced again, before every record that waits already, in their order.
  template <typename F>
  void aborted(F&& hear) {
    std::vector<txn_record> again;
    for (auto& r : ending_) {
      if (r.state == record_state::failed || r.state == record_state::dropped) {
        hear(r);
        continue;
      }
      again.push_back(std::move(r));
    }
    finish_ending(again);
  }

  bool is_open() const noexcept { return is_open_; }
  bool is_ending() const noexcept { return is_ending_; }
  bool has_waiting() const noexcept { return waiting_head_ < waiting_.size(); }
  std::size_t open_size() const noexcept { return open_.size(); }
  std::size_t ending_size() const noexcept { return ending_.size(); }
  std::size_t waiting_size() const noexcept { return waiting_.size() - waiting_head_; }
  std::size_t size() const noexcept { return open_size() + ending_size() + waiting_size(); }
  // One of the open transaction's records failed, must be produced again or was dropped: the
  // transaction must be aborted rather than committed.
  bool must_abort_open() const noexcept { return open_troubles_ > 0; }

 private:
  slot slot_of(std::uint32_t generation, std::size_t index) const noexcept {
    return (static_cast<slot>(generation) << 32) | static_cast<slot>(index);
  }
  // Ends the ending transaction; records (in order) wait again, first in line.
  void finish_ending(std::vector<txn_record>& again);

  std::vector<txn_record> waiting_;
  std::size_t waiting_head_ = 0;  // records before it were opened already
  std::vector<txn_record> open_;
  std::vector<txn_record> ending_;
  std::uint32_t generation_ = 0;         // of the open transaction (or the next one)
  std::uint32_t ending_generation_ = 0;  // of the ending one
  bool is_open_ = false;
  bool is_ending_ = false;
  std::size_t open_troubles_ = 0;
};

}  // namespace herald::kafka
