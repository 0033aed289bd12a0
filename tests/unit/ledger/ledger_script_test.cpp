// The decoding of the ledger scripts' answers, row by row (what the scripts do is tested against a
// real Redis in tests/integration/ledger_store_test.cpp).
#include <doctest/doctest.h>

#include <string_view>
#include <vector>

#include "herald/ledger/ledger_script.hpp"

using namespace herald;
using ledger::record_state;
using ledger::verdict;

TEST_CASE("reserve answers decode into verdicts and the records found") {
  const std::vector<std::string_view> replies{"ok",
                                              "own",
                                              "took",
                                              "again",
                                              "q",
                                              "w1718098090|o.1|20240611|src|out-1",
                                              "c1718098090|20240611|src|out-2",
                                              "u1718098091||src|",
                                              "ssrc|msg-9",
                                              "R1718098080",
                                              "U1718098082|batch-7f",
                                              "Smsg-old"};
  auto r = ledger::decode_reserve(replies, replies.size());
  REQUIRE(r.has_value());
  const auto& a = r.value();
  for (int i = 0; i < 4; ++i) CHECK(a[i].v == verdict::reserved);
  CHECK_FALSE(a[0].is_taken_over);
  CHECK_FALSE(a[1].is_taken_over);  // the caller's own: a retry after a lost answer
  CHECK(a[2].is_taken_over);
  CHECK_FALSE(a[3].is_taken_over);
  CHECK(a[4].v == verdict::over_quota);
  for (std::size_t i = 5; i < a.size(); ++i) CHECK(a[i].v == verdict::found);
  CHECK(a[5].found.state == record_state::written);
  CHECK(a[5].found.owner == "o.1");
  CHECK(a[5].found.at_seconds == 1718098090);
  CHECK(a[6].found.state == record_state::checking);
  CHECK(a[6].found.call_out_id == "out-2");
  CHECK(a[7].found.state == record_state::unknown);
  CHECK(a[8].found.state == record_state::sent);
  CHECK(a[8].found.source == "src");
  CHECK(a[8].found.message_id == "msg-9");
  CHECK(a[9].found.state == record_state::checking);
  CHECK(a[9].found.is_legacy);
  CHECK(a[9].found.at_seconds == 1718098080);
  CHECK(a[10].found.state == record_state::checking);
  CHECK(a[10].found.call_out_id == "batch-7f");
  CHECK(a[11].found.state == record_state::sent);
  CHECK(a[11].found.message_id == "msg-old");
}

TEST_CASE("a reserve answer of the wrong length or shape is an error, never a guess") {
  const std::vector<std::string_view> one{"ok"};
  CHECK_FALSE(ledger::decode_reserve(one, 2).has_value());
  CHECK_FALSE(ledger::decode_reserve(one, 0).has_value());
  for (std::string_view bad : {"zzz", "", "OK", "w1|o", "rsoon|o|1"}) {
    CAPTURE(std::string(bad));
    const std::vector<std::string_view> odd{bad};
    CHECK_FALSE(ledger::decode_reserve(odd, 1).has_value());
  }
  // The script takes every `r` it finds: one answered as found is a bug to report, not a state.
  const std::vector<std::string_view> stray{"r1|o|1"};
  CHECK_FALSE(ledger::decode_reserve(stray, 1).has_value());
}

TEST_CASE("mark_written answers: written, or the record found instead") {
  const std::vector<std::string_view> replies{"ok", "", "r1718098080|other.1|20240611", "ssrc|m", "c1|1|src|o"};
  auto r = ledger::decode_write(replies, replies.size());
  REQUIRE(r.has_value());
  const auto& a = r.value();
  CHECK(a[0].is_written);
  CHECK(a[0].found.state == record_state::none);
  CHECK_FALSE(a[1].is_written);
  CHECK(a[1].found.state == record_state::none);  // released, or its bucket gone
  CHECK_FALSE(a[2].is_written);
  CHECK(a[2].found.state == record_state::reserved);  // taken over
  CHECK(a[2].found.owner == "other.1");
  CHECK_FALSE(a[3].is_written);
  CHECK(a[3].found.state == record_state::sent);
  CHECK_FALSE(a[4].is_written);
  CHECK(a[4].found.state == record_state::checking);
  const std::vector<std::string_view> garbled{"ok", "x"};
  CHECK_FALSE(ledger::decode_write(garbled, 2).has_value());
  CHECK_FALSE(ledger::decode_write(garbled, 3).has_value());
}

TEST_CASE("settle answers: how many items were left as they were") {
  const std::vector<std::string_view> replies{"ok", "s", "no", "ok"};
  auto r = ledger::decode_settle(replies, 4);
  REQUIRE(r.has_value());
  CHECK(r.value() == 2);
  CHECK_FALSE(ledger::decode_settle(replies, 3).has_value());
  const std::vector<std::string_view> odd{"ok", "maybe"};
  CHECK_FALSE(ledger::decode_settle(odd, 2).has_value());
}

TEST_CASE("the scripts' argument strides match their Lua") {
  // The Lua indexes ARGV with these strides; a change on one side only shifts every item.
  CHECK(ledger::reserve_script().find("local j = 3 + 4 * i") != std::string::npos);
  CHECK(ledger::reserve_head_args == 6);
  CHECK(ledger::reserve_item_args == 4);
  CHECK(ledger::write_script().find("local n = (#ARGV - 2) / 5") != std::string::npos);
  CHECK(ledger::write_script().find("local j = 5 * i - 2") != std::string::npos);
  CHECK(ledger::write_head_args == 2);
  CHECK(ledger::write_item_args == 5);
  CHECK(ledger::settle_script().find("local j = 9 * i - 6") != std::string::npos);
  CHECK(ledger::settle_head_args == 2);
  CHECK(ledger::settle_item_args == 9);
}
