#include "herald/ledger/ledger_store.hpp"

#include <algorithm>
#include <charconv>
#include <stdexcept>

#include "herald/ledger/ledger_script.hpp"
#include "herald/redis/client.hpp"
#include "herald/redis/cluster_slots.hpp"
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

// Item indices grouped by the slot of their bucket id (their hash tag), in the items' order within
// a group: with hash tags, one script call per group.
std::vector<std::vector<std::size_t>> group_by_slot(std::size_t count, const auto& record_id_of) {
  std::vector<std::pair<std::uint16_t, std::size_t>> order;
  order.reserve(count);
  for (std::size_t i = 0; i < count; ++i) order.emplace_back(redis::key_slot(record_id_of(i).substr(0, 6)), i);
  std::stable_sort(order.begin(), order.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<std::vector<std::size_t>> groups;
  for (std::size_t i = 0; i < order.size(); ++i) {
    if (i == 0 || order[i].first != order[i - 1].first) groups.emplace_back();
    groups.back().push_back(order[i].second);
  }
  return groups;
}

// One script call per group, all in one exec; the calls answered NOSCRIPT (a node that lost its
// script cache: each node has its own) are sent again with the text, in one more.
boost::asio::awaitable<result<std::vector<redis::reply>>> run_script_calls(
    redis::client& client, const redis::script& s, const std::vector<std::vector<std::string_view>>& keys,
    const std::vector<std::vector<std::string_view>>& args, std::uint8_t tag) {
  std::vector<redis::command> calls;
  calls.reserve(keys.size());
  for (std::size_t g = 0; g < keys.size(); ++g) calls.push_back(s.evalsha_command(keys[g], args[g]));
  auto r = co_await client.exec(std::move(calls), tag);
  if (!r) co_return r;
  std::vector<std::size_t> again;
  std::vector<redis::command> reruns;
  for (std::size_t g = 0; g < r->size(); ++g)
    if (redis::is_noscript((*r)[g])) {
      again.push_back(g);
      reruns.push_back(s.eval_command(keys[g], args[g]));
    }
  if (reruns.empty()) co_return r;
  auto rerun = co_await client.exec(std::move(reruns), tag);
  if (!rerun) co_return rerun.err();
  for (std::size_t k = 0; k < again.size(); ++k) (*r)[again[k]] = std::move((*rerun)[k]);
  co_return r;
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

store::store(redis::client& client, std::string_view key_prefix, std::uint32_t retention_hours, bool hash_tags)
    : client_(client),
      base_(std::string(key_prefix) + "l:"),
      layout_(layout_for(retention_hours, hash_tags)),
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
  if (layout_.hash_tags) co_return co_await reserve_by_slot(items, args);
  auto r = co_await client_.eval(*reserve_, keys, args, tag(round_trip::reserve));
  if (!r) co_return make_error("ledger reserve: " + r.message());
  auto answers = answers_of(r.value(), "reserve");
  if (!answers) co_return answers.err();
  co_return decode_reserve(answers.value(), items.size());
}

boost::asio::awaitable<result<std::vector<reserve_answer>>> store::reserve_by_slot(std::span<const reserve_item> items,
                                                                                   std::span<const std::string_view> args) {
  // The same call per slot: the head arguments, then that slot's items' own; KEYS are the quota
  // counters and both periods' buckets, declared so that a node migrating the slot redirects the
  // call rather than run it on keys it no longer holds.
  const auto groups = group_by_slot(items.size(), [&](std::size_t i) { return std::string_view(items[i].keys->ledger); });
  const std::int32_t current = items.front().keys->period;
  std::vector<std::string> buckets;
  buckets.reserve(2 * items.size());
  std::vector<std::vector<std::string_view>> keys(groups.size());
  std::vector<std::vector<std::string_view>> group_args(groups.size());
  for (std::size_t g = 0; g < groups.size(); ++g) {
    auto& k = keys[g];
    auto& a = group_args[g];
    a.assign(args.begin(), args.begin() + reserve_head_args);
    for (const std::size_t i : groups[g]) {
      k.push_back(items[i].keys->quota);
      const auto item_args = args.subspan(reserve_head_args + reserve_item_args * i, reserve_item_args);
      a.insert(a.end(), item_args.begin(), item_args.end());
    }
    for (const std::size_t i : groups[g]) {
      buckets.push_back(bucket_key_of_period(*items[i].keys, current));
      k.push_back(buckets.back());
      buckets.push_back(bucket_key_of_period(*items[i].keys, current - 1));
      k.push_back(buckets.back());
    }
  }
  auto r = co_await run_script_calls(client_, *reserve_, keys, group_args, tag(round_trip::reserve));
  if (!r) co_return make_error("ledger reserve: " + r.message());
  std::vector<reserve_answer> out(items.size());
  for (std::size_t g = 0; g < groups.size(); ++g) {
    auto answers = answers_of((*r)[g], "reserve");
    if (!answers) co_return answers.err();
    auto decoded = decode_reserve(answers.value(), groups[g].size());
    if (!decoded) co_return decoded.err();
    for (std::size_t k = 0; k < groups[g].size(); ++k) out[groups[g][k]] = std::move((*decoded)[k]);
  }
  co_return out;
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
  if (layout_.hash_tags) {
    const auto groups = group_by_slot(items.size(), [&](std::size_t i) { return std::string_view(items[i].keys->ledger); });
    std::vector<std::string> buckets;
    buckets.reserve(items.size());
    std::vector<std::vector<std::string_view>> keys(groups.size());
    std::vector<std::vector<std::string_view>> group_args(groups.size());
    for (std::size_t g = 0; g < groups.size(); ++g) {
      group_args[g].assign(args.begin(), args.begin() + write_head_args);
      for (const std::size_t i : groups[g]) {
        const auto item_args = std::span<const std::string_view>(args).subspan(write_head_args + write_item_args * i,
                                                                                 write_item_args);
        group_args[g].insert(group_args[g].end(), item_args.begin(), item_args.end());
        buckets.push_back(bucket_key(*items[i].keys));
        keys[g].push_back(buckets.back());
      }
    }
    auto r = co_await run_script_calls(client_, *write_, keys, group_args, tag(round_trip::mark_written));
    if (!r) co_return make_error("ledger mark_written: " + r.message());
    std::vector<write_answer> out(items.size());
    for (std::size_t g = 0; g < groups.size(); ++g) {
      auto answers = answers_of((*r)[g], "mark_written");
      if (!answers) co_return answers.err();
      auto decoded = decode_write(answers.value(), groups[g].size());
      if (!decoded) co_return decoded.err();
      for (std::size_t k = 0; k < groups[g].size(); ++k) out[groups[g][k]] = std::move((*decoded)[k]);
    }
    co_return out;
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
  out.append(k.ledger, 0, bucket_id_size(k.ledger));
}

std::string store::bucket_key_of_period(const item_keys& k, std::int32_t period) const {
  item_keys other;
  other.period = period;
  other.ledger.assign(k.ledger, 0, bucket_id_size(k.ledger));
  return bucket_key(other);
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
    writes.push_back(redis::command{"HSET", bucket, std::string_view(it.keys->ledger).substr(bucket_id_size(it.keys->ledger)), value});
    written.push_back(it.keys);
  }
  if (writes.empty() && scripted == 0) co_return ok;
  // The script calls: one for all, or with hash tags one per slot (KEYS: the quota counters, then
  // the buckets of the item's period and the one before, which the script may read).
  std::vector<std::vector<std::string_view>> call_keys;
  std::vector<std::vector<std::string_view>> call_args;
  std::vector<std::size_t> call_items;  // items per call, for its answers
  std::vector<std::string> buckets;
  if (scripted > 0 && !layout_.hash_tags) {
    call_items.push_back(scripted);
    call_keys.push_back(std::move(script_keys));
    call_args.push_back(std::move(script_args));
  } else if (scripted > 0) {
    std::vector<const item_keys*> scripted_keys;
    scripted_keys.reserve(scripted);
    for (const auto& it : items)
      if (it.op != settle_op::sent) scripted_keys.push_back(it.keys);
    const auto groups = group_by_slot(scripted, [&](std::size_t i) { return std::string_view(scripted_keys[i]->ledger); });
    buckets.reserve(2 * scripted);
    const std::span<const std::string_view> all_args(script_args);
    for (const auto& group : groups) {
      auto& k = call_keys.emplace_back();
      auto& a = call_args.emplace_back(all_args.begin(), all_args.begin() + settle_head_args);
      for (const std::size_t i : group) {
        k.push_back(script_keys[i]);
        const auto item_args = all_args.subspan(settle_head_args + settle_item_args * i, settle_item_args);
        a.insert(a.end(), item_args.begin(), item_args.end());
      }
      for (const std::size_t i : group) {
        buckets.push_back(bucket_key(*scripted_keys[i]));
        k.push_back(buckets.back());
        buckets.push_back(bucket_key_of_period(*scripted_keys[i], scripted_keys[i]->period - 1));
        k.push_back(buckets.back());
      }
      call_items.push_back(group.size());
    }
  }
  // Buckets whose TTL an earlier settle could not confirm go first (see below). Taken out of the
  // member for the round trip: settles of other calls run meanwhile and may add their own.
  std::vector<std::string> retried(untimed_buckets_.begin(), untimed_buckets_.end());
  untimed_buckets_.clear();
  const std::size_t first_write = retried.size();
  const std::size_t script_at = first_write + writes.size();
  std::vector<redis::command> cmds;
  cmds.reserve(script_at + call_keys.size());
  for (const auto& b : retried) cmds.push_back(redis::command{"EXPIRE", b, bucket_ttl_, "NX"});
  for (auto& c : writes) cmds.push_back(std::move(c));
  for (std::size_t g = 0; g < call_keys.size(); ++g) cmds.push_back(settle_->evalsha_command(call_keys[g], call_args[g]));
  auto r = co_await client_.exec(std::move(cmds), tag(round_trip::settle));
  const std::string failure = r ? first_error(r.value(), 0, script_at) : r.message();
  if (!failure.empty()) {
    // Some of the HSETs may have been applied, and made a bucket, before the failure; the retry
    // would find their fields and not see that: every bucket written to gets its TTL checked.
    for (auto& b : retried) untimed_buckets_.insert(std::move(b));
    for (const item_keys* k : written) untimed_buckets_.insert(bucket_key(*k));
    co_return make_error("ledger settle: " + failure);
  }
  // The script's text when Redis (a node, with a cluster) does not have it cached (a restart,
  // SCRIPT FLUSH): EVAL, which caches it, rides with the bucket TTLs below in one more round trip
  // (both rare).
  status checked = ok;
  std::vector<std::size_t> reruns;  // calls sent again with the text
  std::vector<redis::command> follow_up;
  for (std::size_t g = 0; g < call_keys.size(); ++g) {
    const auto& answer = r.value()[script_at + g];
    if (redis::is_noscript(answer)) {
      reruns.push_back(g);
      follow_up.push_back(settle_->eval_command(call_keys[g], call_args[g]));
    } else if (checked) {
      checked = check_settle_answers(answer, call_items[g]);
    }
  }
  // HSET adds a field only where the record is gone (its bucket expired, or Redis lost it): then
  // the bucket may be new and without a TTL, which it gets here, NX so that a live bucket's is
  // never extended. A bucket whose TTL is not confirmed is tried again next time.
  std::vector<std::string> fresh;
  for (std::size_t i = first_write; i < script_at; ++i) {
    if (r.value()[i].integer != 1) continue;
    fresh.push_back(bucket_key(*written[i - first_write]));
    follow_up.push_back(redis::command{"EXPIRE", fresh.back(), bucket_ttl_, "NX"});
  }
  if (!follow_up.empty()) {
    auto e = co_await client_.exec(std::move(follow_up), tag(round_trip::settle));
    const std::string ttl_failure = e ? first_error(e.value(), reruns.size(), e.value().size()) : e.message();
    if (!ttl_failure.empty()) {
      for (auto& b : fresh) untimed_buckets_.insert(std::move(b));
      co_return make_error("ledger settle: bucket TTL: " + ttl_failure);
    }
    for (std::size_t k = 0; k < reruns.size() && checked; ++k) checked = check_settle_answers(e.value()[k], call_items[reruns[k]]);
  }
  co_return checked;
}

}  // namespace herald::ledger
