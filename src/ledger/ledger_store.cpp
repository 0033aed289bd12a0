#include "herald/ledger/ledger_store.hpp"

#include <charconv>
#include <stdexcept>

#include "herald/ledger/ledger_script.hpp"
#include "herald/redis/client.hpp"
#include "herald/redis/command.hpp"
#include "herald/redis/script.hpp"

namespace herald::ledger {
namespace {

constexpr std::uint8_t tag(round_trip r) { return static_cast<std::uint8_t>(r); }

// Decimal texts of numbers, viewed by a command's arguments: one buffer for a whole batch, sized
// once for `count` numbers so that it never moves (the views stay valid).
class number_texts {
 public:
  explicit number_texts(std::size_t count) : capacity_(count) { text_.reserve(count * 20); }
  std::string_view add(std::int64_t n) {
    if (added_++ == capacity_) throw std::logic_error("ledger: number_texts sized too small");
    char digits[20];
    const auto end = std::to_chars(digits, digits + sizeof digits, n).ptr;
    const std::size_t at = text_.size();
    text_.append(digits, end);
    return std::string_view(text_).substr(at);
  }

 private:
  std::string text_;
  std::size_t capacity_;
  std::size_t added_ = 0;
};

// The first error reply of a pipeline's replies in [from, to) ("" if none).
std::string first_error(const std::vector<redis::reply>& replies, std::size_t from, std::size_t to) {
  for (std::size_t i = from; i < to && i < replies.size(); ++i)
    if (replies[i].is_error()) return replies[i].str.empty() ? std::string("error reply") : replies[i].str;
  return {};
}

// A script's array of string answers, viewed (no copy per item).
result<std::vector<std::string_view>> answers_of(const redis::reply& rep, std::string_view what) {
  if (rep.is_error()) return make_error("ledger " + std::string(what) + ": " + rep.str);
  if (rep.kind != redis::reply::type::array)
    return make_error("ledger " + std::string(what) + ": unexpected reply " + redis::describe(rep));
  std::vector<std::string_view> out;
  out.reserve(rep.elements.size());
  for (const auto& e : rep.elements) out.push_back(e.str);
  return out;
}

status check_settle_answers(const redis::reply& rep, std::size_t expected) {
  auto answers = answers_of(rep, "settle");
  if (!answers) return answers.err();
  auto checked = decode_settle(answers.value(), expected);
  if (!checked) return checked.err();
  return ok;
}

// Owners and sources are fields of a record's text: a '|' in one would shift the fields after it.
bool is_field_text(std::string_view s) { return s.find('|') == std::string_view::npos; }

std::string_view op_letter(settle_op op) {
  switch (op) {
    case settle_op::checking: return "c";
    case settle_op::unknown: return "u";
    case settle_op::not_sent: return "n";
    case settle_op::failed: return "f";
    case settle_op::sent: break;
  }
  return "";
}

}  // namespace

store::store(redis::client& client, std::string_view key_prefix, std::uint32_t retention_hours)
    : client_(client),
      base_(std::string(key_prefix) + "l:"),
      layout_(layout_for(retention_hours)),
      period_seconds_(std::to_string(layout_.period_seconds())),
      // A bucket is looked into during its period and the next: it lives two periods from its
      // first record, plus an hour of slack.
      bucket_ttl_(std::to_string(2 * layout_.period_seconds() + 3600)),
      reserve_(std::make_unique<redis::script>(reserve_script())),
      write_(std::make_unique<redis::script>(write_script())),
      settle_(std::make_unique<redis::script>(settle_script())) {}

store::~store() = default;

boost::asio::awaitable<result<std::vector<reserve_answer>>> store::reserve(std::span<const reserve_item> items,
                                                                           std::string_view owner,
                                                                           std::int64_t now_seconds,
                                                                           std::int64_t quota_ttl_seconds) {
  // The script puts new records in the current period's bucket; the later calls find them by
  // item_keys::period, so a caller that forgot to set it would lose them to another bucket.
  const std::int32_t current = layout_.period_of(now_seconds);
  if (owner.empty() || !is_field_text(owner)) co_return make_error("ledger reserve: an owner token is required, without '|'");
  for (const auto& it : items) {
    if (it.keys->period != current)
      co_return make_error("ledger reserve: an item's period " + std::to_string(it.keys->period) +
                           " is not the reserve's period " + std::to_string(current));
    if (it.mode == reserve_mode::resend && (it.source.empty() || !is_field_text(it.source)))
      co_return make_error("ledger reserve: a resend needs the item's source id");
  }
  if (items.empty()) co_return std::vector<reserve_answer>{};
  // Views of the items' own keys: a batch has a thousand of each, and copies showed in profiles.
  const std::string now_text = std::to_string(now_seconds);
  const std::string quota_ttl_text = std::to_string(quota_ttl_seconds);
  number_texts numbers(2 * items.size());
  std::vector<std::string_view> keys;
  std::vector<std::string_view> args;
  keys.reserve(items.size());
  args.reserve(items.size() * reserve_item_args + reserve_head_args);
  args.insert(args.end(), {std::string_view(base_), std::string_view(now_text), std::string_view(period_seconds_),
                           std::string_view(bucket_ttl_), std::string_view(quota_ttl_text), owner});
  for (const auto& it : items) {
    keys.push_back(it.keys->quota);
    args.push_back(it.keys->ledger);
    args.push_back(numbers.add(it.daily_limit));
    // The day the record says it charged: none without a limit (nothing is counted).
    args.push_back(it.daily_limit > 0 ? numbers.add(it.keys->quota_day) : std::string_view());
    args.push_back(it.mode == reserve_mode::resend ? it.source : std::string_view());
  }
  auto r = co_await client_.eval(*reserve_, keys, args, tag(round_trip::reserve));
  if (!r) co_return make_error("ledger reserve: " + r.message());
  auto answers = answers_of(r.value(), "reserve");
  if (!answers) co_return answers.err();
  co_return decode_reserve(answers.value(), items.size());
}

boost::asio::awaitable<result<std::vector<write_answer>>> store::mark_written(std::span<const write_item> items,
                                                                              std::int64_t call_seconds) {
  for (const auto& it : items)
    if (it.owner.empty() || !is_field_text(it.owner) || !is_field_text(it.source))
      co_return make_error("ledger mark_written: an item's owner is empty, or its owner or source holds '|'");
  if (items.empty()) co_return std::vector<write_answer>{};
  const std::string when = std::to_string(call_seconds);
  number_texts periods(items.size());
  std::vector<std::string_view> args;
  args.reserve(write_head_args + write_item_args * items.size());
  args.push_back(base_);
  args.push_back(when);
  for (const auto& it : items) {
    args.push_back(it.keys->ledger);
    args.push_back(periods.add(it.keys->period));
    args.push_back(it.owner);
    args.push_back(it.source);
    args.push_back(it.call_out_id);
  }
  auto r = co_await client_.eval(*write_, std::span<const std::string_view>(), args, tag(round_trip::mark_written));
  if (!r) co_return make_error("ledger mark_written: " + r.message());
  auto answers = answers_of(r.value(), "mark_written");
  if (!answers) co_return answers.err();
  co_return decode_write(answers.value(), items.size());
}

std::string store::bucket_key(const item_keys& k) const {
  std::string key;
  append_bucket_key(key, k);
  return key;
}

void store::append_bucket_key(std::string& out, const item_keys& k) const {
  char digits[12];
  const auto end = std::to_chars(digits, digits + sizeof digits, k.period).ptr;
  out.append(base_).append(digits, end).push_back(':');
  out.append(k.ledger, 0, 4);
}

boost::asio::awaitable<status> store::settle(std::span<const settle_item> items) {
  // A send is one HSET per item: it stands alone (an `s` goes over anything), Redis runs a plain
  // command for ~0.4 of a script item's CPU, and HSET is idempotent, so a settle retried after a
  // lost answer writes the same records again. The other decisions need the record looked at
  // first (never over an `s`; only the owner's released), so they go to the settle script, whose
  // call rides in the same pipeline: one round trip either way.
  std::vector<redis::command> writes;
  std::vector<const item_keys*> written;  // the item of each write, for a bucket's TTL
  std::string bucket;                     // scratch: one command's arguments at a time
  std::string value;
  std::vector<std::string_view> script_keys;
  std::vector<std::string_view> script_args;
  std::size_t scripted = 0;
  for (const auto& it : items) {
    if (!is_field_text(it.owner) || !is_field_text(it.source))
      co_return make_error("ledger settle: an item's owner or source holds '|'");
    if (it.op != settle_op::sent) ++scripted;
  }
  number_texts numbers(4 * scripted);
  writes.reserve(items.size() - scripted);
  written.reserve(items.size() - scripted);
  if (scripted > 0) {
    script_keys.reserve(scripted);
    script_args.reserve(settle_head_args + settle_item_args * scripted);
    script_args.push_back(base_);
    script_args.push_back(bucket_ttl_);
  }
  for (const auto& it : items) {
    if (it.op != settle_op::sent) {
      script_keys.push_back(it.keys->quota);
      script_args.insert(script_args.end(), {op_letter(it.op), std::string_view(it.keys->ledger),
                                             numbers.add(it.keys->period), it.owner, it.source,
                                             numbers.add(it.at_seconds), it.call_out_id,
                                             numbers.add(it.keys->quota_day_at), numbers.add(it.keys->quota_day_size)});
      continue;
    }
    bucket.clear();
    append_bucket_key(bucket, *it.keys);
    value.clear();
    value.push_back('s');
    value.append(it.source).push_back('|');
    value.append(it.message_id);
    writes.push_back(redis::command{"HSET", bucket, std::string_view(it.keys->ledger).substr(4), value});
    written.push_back(it.keys);
  }
  if (writes.empty() && scripted == 0) co_return ok;
  // Buckets whose TTL an earlier settle could not confirm go first (see below). Taken out of the
  // member for the round trip: settles of other calls run meanwhile and may add their own.
  std::vector<std::string> retried(untimed_buckets_.begin(), untimed_buckets_.end());
  untimed_buckets_.clear();
  const std::size_t first_write = retried.size();
  const std::size_t script_at = first_write + writes.size();
  std::vector<redis::command> cmds;
  cmds.reserve(script_at + 1);
  for (const auto& b : retried) cmds.push_back(redis::command{"EXPIRE", b, bucket_ttl_, "NX"});
  for (auto& c : writes) cmds.push_back(std::move(c));
  if (scripted > 0) cmds.push_back(settle_->evalsha_command(script_keys, script_args));
  auto r = co_await client_.exec(std::move(cmds), tag(round_trip::settle));
  const std::string failure = r ? first_error(r.value(), 0, script_at) : r.message();
  if (!failure.empty()) {
    // Some of the HSETs may have been applied, and made a bucket, before the failure; the retry
    // would find their fields and not see that: every bucket written to gets its TTL checked.
    for (auto& b : retried) untimed_buckets_.insert(std::move(b));
    for (const item_keys* k : written) untimed_buckets_.insert(bucket_key(*k));
    co_return make_error("ledger settle: " + failure);
  }
  // The script's text when Redis does not have it cached (a restart, SCRIPT FLUSH): EVAL, which
  // caches it, rides with the bucket TTLs below in one more round trip (both rare).
  const bool is_rerun = scripted > 0 && redis::is_noscript(r.value()[script_at]);
  status checked = ok;
  if (scripted > 0 && !is_rerun) checked = check_settle_answers(r.value()[script_at], scripted);
  // HSET adds a field only where the record is gone (its bucket expired, or Redis lost it): then
  // the bucket may be new and without a TTL, which it gets here, NX so that a live bucket's is
  // never extended. A bucket whose TTL is not confirmed is tried again next time.
  std::vector<std::string> fresh;
  std::vector<redis::command> follow_up;
  if (is_rerun) follow_up.push_back(settle_->eval_command(script_keys, script_args));
  for (std::size_t i = first_write; i < script_at; ++i) {
    if (r.value()[i].integer != 1) continue;
    fresh.push_back(bucket_key(*written[i - first_write]));
    follow_up.push_back(redis::command{"EXPIRE", fresh.back(), bucket_ttl_, "NX"});
  }
  if (!follow_up.empty()) {
    auto e = co_await client_.exec(std::move(follow_up), tag(round_trip::settle));
    const std::string ttl_failure = e ? first_error(e.value(), is_rerun ? 1 : 0, e.value().size()) : e.message();
    if (!ttl_failure.empty()) {
      for (auto& b : fresh) untimed_buckets_.insert(std::move(b));
      co_return make_error("ledger settle: bucket TTL: " + ttl_failure);
    }
    if (is_rerun) checked = check_settle_answers(e.value().front(), scripted);
  }
  co_return checked;
}

}  // namespace herald::ledger
