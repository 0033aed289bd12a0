// A ledger record's text, row by row: what each value decodes to, what never decodes (an error,
// never a guess), and the encoding back (docs/ledger.md, "States").
#include <doctest/doctest.h>

#include <string>

#include "herald/ledger/ledger_record.hpp"

using namespace herald;
using ledger::record_state;

namespace {

ledger::record decoded(std::string_view value) {
  auto r = ledger::decode_record(value);
  REQUIRE_MESSAGE(r.has_value(), "did not decode: " << std::string(value) << ": " << (r ? "" : r.message()));
  return std::move(r.value());
}

}  // namespace

TEST_CASE("record: a reservation carries its time, owner and charged day") {
  const auto r = decoded("r1718098080|0a1b2c3d.k2|20240611");
  CHECK(r.state == record_state::reserved);
  CHECK(r.at_seconds == 1718098080);
  CHECK(r.owner == "0a1b2c3d.k2");
  CHECK(r.quota_day == 20240611);
  CHECK(r.source.empty());
  CHECK_FALSE(r.is_legacy);
  // Nothing charged (no daily limit): the day is empty.
  CHECK(decoded("r1718098080|0a1b2c3d.k2|").quota_day == -1);
}

TEST_CASE("record: a written request carries the call's time, owner, day, source and OutId") {
  const auto w = decoded("w1718098090|0a1b2c3d.k2|20240611|7veVnriKEHs|out-1");
  CHECK(w.state == record_state::written);
  CHECK(w.at_seconds == 1718098090);
  CHECK(w.owner == "0a1b2c3d.k2");
  CHECK(w.quota_day == 20240611);
  CHECK(w.source == "7veVnriKEHs");
  CHECK(w.call_out_id == "out-1");
  // No OutId (a gateway without one) and no day.
  const auto bare = decoded("w5|o||src|");
  CHECK(bare.quota_day == -1);
  CHECK(bare.call_out_id.empty());
  CHECK(bare.source == "src");
}

TEST_CASE("record: checking and unknown carry the call's time, day, source and OutId, no owner") {
  const auto c = decoded("c1718098090|20240611|7veVnriKEHs|batch|7f");
  CHECK(c.state == record_state::checking);
  CHECK(c.at_seconds == 1718098090);
  CHECK(c.owner.empty());
  CHECK(c.quota_day == 20240611);
  CHECK(c.source == "7veVnriKEHs");
  CHECK(c.call_out_id == "batch|7f");  // the last field takes the rest
  const auto u = decoded("u1718098091||src|");
  CHECK(u.state == record_state::unknown);
  CHECK(u.quota_day == -1);
  CHECK(u.call_out_id.empty());
}

TEST_CASE("record: a sent record carries its source and the gateway's message id, '|' and all") {
  const auto s = decoded("s7veVnriKEHs|msg|with|bars");
  CHECK(s.state == record_state::sent);
  CHECK(s.source == "7veVnriKEHs");
  CHECK(s.message_id == "msg|with|bars");
  CHECK(decoded("ssrc|").message_id.empty());
  CHECK(decoded("s|m").source.empty());
}

TEST_CASE("record: values written by an older Herald still read") {
  const auto r = decoded("R1718098080");
  CHECK(r.state == record_state::checking);  // a send may have been under way
  CHECK(r.is_legacy);
  CHECK(r.at_seconds == 1718098080);
  CHECK(r.quota_day == -1);
  const auto u = decoded("U1718098082|batch-7f");
  CHECK(u.state == record_state::checking);
  CHECK(u.is_legacy);
  CHECK(u.at_seconds == 1718098082);
  CHECK(u.call_out_id == "batch-7f");
  CHECK(decoded("U1718098082|a|b").call_out_id == "a|b");
  const auto s = decoded("Smsg|9");
  CHECK(s.state == record_state::sent);
  CHECK(s.is_legacy);
  CHECK(s.source.empty());
  CHECK(s.message_id == "msg|9");
  // A time the old reader could not read (or none) counts as not known.
  CHECK(decoded("R").at_seconds == 0);
  CHECK(decoded("U").at_seconds == 0);
  CHECK(decoded("Rsoon").at_seconds == 0);
  CHECK(decoded("U-5|x").at_seconds == 0);
  CHECK(decoded("U-5|x").call_out_id == "x");
  CHECK(decoded("R99999999999999999999999").at_seconds == 0);
  CHECK(decoded("S").message_id.empty());
}

TEST_CASE("record: hostile values are errors, never a guess") {
  for (const char* bad : {
           "",                                  // empty
           "x1|o|1",                            // unknown letter
           "ok", "q",                           // script answers are not records
           " r1|o|1",                           // not the first byte
           "r",                                 // no fields
           "r1718098080",                       // missing owner and day
           "r1718098080|owner",                 // missing day
           "rsoon|o|1",                         // non-digit time
           "r-5|o|1",                           // negative time
           "r|o|1",                             // empty time
           "r99999999999999999999999|o|1",      // time out of range
           "r1|o|-3",                           // negative day
           "r1|o|99999999999",                  // day out of range
           "r1|o|2024x",                        // non-digit day
           "r1|o|20240611|extra",               // a reservation has three fields
           "w1|o|20240611|src",                 // missing OutId separator
           "w1|o",                              // missing fields
           "wx|o|1|s|id",                       // non-digit time
           "c1|20240611",                       // missing source
           "c1",                                // missing everything
           "u+1|1|s|o",                         // a sign is not a digit
           "c1|1d|s|o",                         // non-digit day
           "s",                                 // sent without a source separator
           "smsg-without-source",               // likewise
       }) {
    CAPTURE(std::string(bad));
    CHECK_FALSE(ledger::decode_record(bad).has_value());
  }
}

TEST_CASE("record: encoding is decoding's inverse, for every state") {
  for (const char* text : {"r1718098080|0a1b2c3d.k2|20240611", "r1|o|", "w1718098090|o.1|20240611|7veVnriKEHs|out-1",
                           "w5|o||src|", "c1718098090|20240611|src|batch|7f", "u7||src|", "s7veVnriKEHs|msg|9", "s|",
                           "U1718098082|batch-7f", "U", "Smsg-9"}) {
    CAPTURE(std::string(text));
    CHECK(ledger::encode_record(decoded(text)) == text);
  }
  // A legacy R reads as checking and writes back as the equivalent U.
  CHECK(ledger::encode_record(decoded("R1718098080")) == "U1718098080");
  CHECK(ledger::encode_record(ledger::record{}).empty());
}

TEST_CASE("record: every state has a name") {
  CHECK(ledger::to_string(record_state::none) == "none");
  CHECK(ledger::to_string(record_state::reserved) == "reserved");
  CHECK(ledger::to_string(record_state::written) == "written");
  CHECK(ledger::to_string(record_state::checking) == "checking");
  CHECK(ledger::to_string(record_state::unknown) == "unknown");
  CHECK(ledger::to_string(record_state::sent) == "sent");
}
