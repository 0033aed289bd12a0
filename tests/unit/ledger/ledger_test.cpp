#include <doctest/doctest.h>

#include "herald/ledger/ledger_keys.hpp"
#include "herald/util/crypto.hpp"

using namespace herald;

namespace {
const crypto::hmac_sha256_key key("test-recipient-key-0123");

model::event sample() {
  model::event e;
  e.event_id = "evt-1";
  e.account = "shop-a";
  e.order_id = "3006925020239565830";
  e.to = {model::recipient_kind::oaid, "AAHk3jmWABCD"};
  e.template_code = "SMS_1";
  return e;
}
}  // namespace

TEST_CASE("ledger keys hold no recipient or event id in clear") {
  auto e = sample();
  auto k = ledger::make_keys("herald:", e, 1'700'000'000, 480, ledger::layout_for(72), key);
  // A record id: 4 hex digits of period bucket, then 12 bytes of hash.
  REQUIRE(k.ledger.size() == 16);
  CHECK(k.ledger.substr(0, 4).find_first_not_of("0123456789abcdef") == std::string::npos);
  CHECK(std::stoul(k.ledger.substr(0, 4), nullptr, 16) < 3 * ledger::ledger_buckets_per_day);
  CHECK(k.ledger.find("evt-1") == std::string::npos);
  CHECK(k.period == 1'700'000'000 / (3 * 86400));
  CHECK(k.quota.rfind("herald:q:shop-a:t:", 0) == 0);
  CHECK(k.quota.find("AAHk3jmWABCD") == std::string::npos);
}

TEST_CASE("a ledger period is the retention in whole days, with buckets for each day of it") {
  CHECK(ledger::layout_for(1).period_days == 1);
  CHECK(ledger::layout_for(1).buckets == ledger::ledger_buckets_per_day);
  CHECK(ledger::layout_for(24).period_days == 1);
  CHECK(ledger::layout_for(25).period_days == 2);
  CHECK(ledger::layout_for(72).period_days == 3);
  CHECK(ledger::layout_for(72).buckets == 3 * ledger::ledger_buckets_per_day);
  CHECK(ledger::layout_for(72).period_of(3 * 86400 - 1) == 0);
  CHECK(ledger::layout_for(72).period_of(3 * 86400) == 1);
  // Bucket numbers are 4 hex digits: a long retention gets larger buckets, not more.
  CHECK(ledger::layout_for(8760).period_days == 365);
  CHECK(ledger::layout_for(8760).buckets == ledger::ledger_max_buckets);
}

TEST_CASE("the quota day follows the configured UTC offset") {
  auto e = sample();
  // 2023-11-14T16:30:00Z is already 2023-11-15 at +08:00 but still 2023-11-14 at UTC.
  const std::int64_t t = 1'699'979'400;
  CHECK(ledger::make_keys("h:", e, t, 480, ledger::layout_for(72), key).quota.find(":20231115:") != std::string::npos);
  CHECK(ledger::make_keys("h:", e, t, 0, ledger::layout_for(72), key).quota.find(":20231114:") != std::string::npos);
  CHECK(ledger::quota_ttl_seconds(t, 480) == 23 * 3600 + 1800 + 3600);  // 00:30 local: 23.5 h left
}

TEST_CASE("different events, recipients and categories get different keys") {
  auto a = sample();
  auto b = sample();
  b.event_id = "evt-2";
  CHECK(ledger::make_keys("h:", a, 0, 480, ledger::layout_for(72), key).ledger != ledger::make_keys("h:", b, 0, 480, ledger::layout_for(72), key).ledger);
  CHECK(ledger::make_keys("h:", a, 0, 480, ledger::layout_for(72), key).quota == ledger::make_keys("h:", b, 0, 480, ledger::layout_for(72), key).quota);
  b.to.value = "other";
  CHECK(ledger::make_keys("h:", a, 0, 480, ledger::layout_for(72), key).quota != ledger::make_keys("h:", b, 0, 480, ledger::layout_for(72), key).quota);
  b = sample();
  b.category = config::category::marketing;
  CHECK(ledger::make_keys("h:", a, 0, 480, ledger::layout_for(72), key).quota != ledger::make_keys("h:", b, 0, 480, ledger::layout_for(72), key).quota);
}

TEST_CASE("recipients addressed by order have a quota per order, not one per account") {
  auto a = sample();
  a.to = {model::recipient_kind::by_order, ""};
  auto b = a;
  b.order_id = "another-order";
  CHECK(ledger::make_keys("h:", a, 0, 480, ledger::layout_for(72), key).quota != ledger::make_keys("h:", b, 0, 480, ledger::layout_for(72), key).quota);
}

TEST_CASE("ledger keys are the documented hashes, byte for byte (a new build must find an older one's)") {
  // Computed independently: sha256("event\x1f" account "\x1f" event_id): bucket = first 16 bits
  // modulo 3 * 8192 (72 hours), then the next 12 bytes; the recipient hash is base64 of 16 bytes
  // of HMAC-SHA256 keyed with the recipient hash key over "recipient\x1f" kind "\x1f" value,
  // without padding (python3: hmac.new(key, msg, hashlib.sha256)).
  auto k = ledger::make_keys("herald:", sample(), 1'700'000'000, 480, ledger::layout_for(72), key);
  CHECK(k.ledger.substr(0, 4) == "1dd3");
  CHECK(crypto::to_hex(k.ledger.substr(4)) == "974aa22ada39a0b371e19146");
  CHECK(k.quota == "herald:q:shop-a:t:20231115:N0u283QEQnekNiaxyF1qcw");
  // Not the unkeyed SHA-256 of earlier versions (kWRMvN77VY/4Z3FLcAfWPw), which anyone could
  // compute for every phone number.
}

TEST_CASE("the recipient hash key decides the quota key, not the ledger record's id") {
  const crypto::hmac_sha256_key other("another-recipient-key-456");
  const auto a = ledger::make_keys("h:", sample(), 1'700'000'000, 480, ledger::layout_for(72), key);
  const auto b = ledger::make_keys("h:", sample(), 1'700'000'000, 480, ledger::layout_for(72), other);
  CHECK(a.quota != b.quota);
  CHECK(a.quota.substr(0, a.quota.rfind(':')) == b.quota.substr(0, b.quota.rfind(':')));
  // A given event id's record survives a key rotation (docs/ledger.md, "Recipient hashes").
  CHECK(a.ledger == b.ledger);
}

TEST_CASE("keys made into used keys equal keys made fresh") {
  auto e = sample();
  ledger::item_keys reused = ledger::make_keys("a-much-longer-prefix:", e, 1'700'000'000, 480, ledger::layout_for(24), key);
  e.event_id = "evt-2";
  e.category = config::category::marketing;
  ledger::make_keys_into(reused, "h:", e, 1'800'000'000, 0, ledger::layout_for(72), key);
  const auto fresh = ledger::make_keys("h:", e, 1'800'000'000, 0, ledger::layout_for(72), key);
  CHECK(reused.ledger == fresh.ledger);
  CHECK(reused.quota == fresh.quota);
  CHECK(reused.period == fresh.period);
}

TEST_CASE("the quota key says where its day is, and a refund rebuilds another day's key from it") {
  const auto k = ledger::make_keys("herald:", sample(), 1'700'000'000, 480, ledger::layout_for(72), key);
  CHECK(k.quota_day == 20231115);
  CHECK(k.quota.substr(k.quota_day_at, k.quota_day_size) == "20231115");
  std::string other;
  ledger::append_quota_key_of_day(other, k, 20231114);
  CHECK(other == "herald:q:shop-a:t:20231114:N0u283QEQnekNiaxyF1qcw");
  // The key of the item's own day is the item's key.
  std::string same = "kept:";
  ledger::append_quota_key_of_day(same, k, k.quota_day);
  CHECK(same == "kept:" + k.quota);
  // An account with ':' in its name: the offset still points at the day, not at a guess.
  auto e = sample();
  e.account = "a:20231115:b";
  const auto odd = ledger::make_keys("h:", e, 1'700'000'000, 480, ledger::layout_for(72), key);
  std::string rebuilt;
  ledger::append_quota_key_of_day(rebuilt, odd, 20240101);
  CHECK(rebuilt.rfind("h:q:a:20231115:b:t:20240101:", 0) == 0);
}

TEST_CASE("keys made into used keys carry the fresh keys' quota day and its place") {
  auto e = sample();
  ledger::item_keys reused = ledger::make_keys("a-much-longer-prefix:", e, 1'700'000'000, 480, ledger::layout_for(24), key);
  ledger::make_keys_into(reused, "h:", e, 1'800'000'000, 0, ledger::layout_for(72), key);
  const auto fresh = ledger::make_keys("h:", e, 1'800'000'000, 0, ledger::layout_for(72), key);
  CHECK(reused.quota_day == fresh.quota_day);
  CHECK(reused.quota_day_at == fresh.quota_day_at);
  CHECK(reused.quota_day_size == fresh.quota_day_size);
  CHECK(fresh.quota.substr(fresh.quota_day_at, fresh.quota_day_size) == std::to_string(fresh.quota_day));
}

TEST_CASE("a source id is the documented short hash of topic, partition and offset") {
  // python3: base64.b64encode(hashlib.sha256(b"sms.events\x1f3\x1f12345").digest()[:8]).rstrip(b"=")
  std::string out = "x";
  ledger::append_source_id(out, "sms.events", 3, 12345);
  CHECK(out == "x7veVnriKEHs");
  std::string zero;
  ledger::append_source_id(zero, "t", 0, 0);
  CHECK(zero == "ynJmibFlLMg");
  std::string a, b, c;
  ledger::append_source_id(a, "sms.events", 3, 12346);
  ledger::append_source_id(b, "sms.events", 4, 12345);
  ledger::append_source_id(c, "sms.event", 3, 12345);
  CHECK(a != out.substr(1));
  CHECK(b != out.substr(1));
  CHECK(c != out.substr(1));
  for (const auto& id : {a, b, c}) {
    CHECK(id.size() == 11);
    CHECK(id.find('|') == std::string::npos);
    CHECK(id.find('=') == std::string::npos);
  }
}

TEST_CASE("with hash tags (Redis Cluster) a record's bucket is its recipient's, and its quota key carries that tag") {
  // Computed independently: the bucket is the first 16 bits of the recipient's HMAC (the one the
  // quota key names, python3 as above) modulo 3 * 8192, in braces; the field is the record's own
  // 12 bytes as without tags, and the quota key puts the same tag after "q:".
  const auto tagged = ledger::layout_for(72, true);
  CHECK(tagged.hash_tags);
  CHECK_FALSE(ledger::layout_for(72).hash_tags);
  auto k = ledger::make_keys("herald:", sample(), 1'700'000'000, 480, tagged, key);
  CHECK(k.ledger.substr(0, 6) == "{374b}");
  CHECK(ledger::bucket_id_size(k.ledger) == 6);
  CHECK(crypto::to_hex(k.ledger.substr(6)) == "974aa22ada39a0b371e19146");
  CHECK(k.quota == "herald:q:{374b}:shop-a:t:20231115:N0u283QEQnekNiaxyF1qcw");
  // The refund's key of another day keeps the tag: the same slot.
  std::string other_day;
  ledger::append_quota_key_of_day(other_day, k, 20231114);
  CHECK(other_day == "herald:q:{374b}:shop-a:t:20231114:N0u283QEQnekNiaxyF1qcw");

  // Another event of the same recipient: another field, the same bucket (so the same slot as the
  // quota); another recipient: (here) another bucket.
  auto e = sample();
  e.event_id = "evt-2";
  const auto same_recipient = ledger::make_keys("herald:", e, 1'700'000'000, 480, tagged, key);
  CHECK(same_recipient.ledger.substr(0, 6) == "{374b}");
  CHECK(same_recipient.ledger != k.ledger);
  CHECK(same_recipient.quota == k.quota);
  e.to.value = "AAHk3jmWOTHER";
  CHECK(ledger::make_keys("herald:", e, 1'700'000'000, 480, tagged, key).ledger.substr(0, 6) != "{374b}");
  // Without tags the record id starts with 4 hex digits.
  CHECK(ledger::bucket_id_size(ledger::make_keys("herald:", sample(), 1'700'000'000, 480, ledger::layout_for(72), key).ledger) == 4);
}
