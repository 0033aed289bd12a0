#include "herald/kafka/transaction_book.hpp"

#include <algorithm>
#include <cstring>

namespace herald::kafka {

txn_record make_txn_record(std::uint32_t topic, std::string_view key, std::string_view value,
                           std::span<const header> headers, delivery_target* target, nulls null_parts,
                           source_tag source, bool borrow_value) {
  txn_record r;
  r.topic = topic;
  r.target = target;
  r.source = source;
  r.null_parts = null_parts;
  r.key_size = static_cast<std::uint32_t>(key.size());
  r.value_size = static_cast<std::uint32_t>(value.size());
  r.header_count = static_cast<std::uint16_t>(std::min<std::size_t>(headers.size(), 0xffff));
  std::size_t header_bytes = 0;
  for (std::size_t i = 0; i < r.header_count; ++i) header_bytes += 8 + headers[i].name.size() + headers[i].value.size();
  r.header_bytes = static_cast<std::uint32_t>(header_bytes);
  if (borrow_value) r.borrowed_value = value.data() ? value.data() : "";
  const std::size_t total = key.size() + (borrow_value ? 0 : value.size()) + header_bytes;
  if (total == 0) return r;
  r.bytes.reset(new char[total]);
  char* p = r.bytes.get();
  if (!key.empty()) std::memcpy(p, key.data(), key.size());
  p += key.size();
  if (!borrow_value) {
    if (!value.empty()) std::memcpy(p, value.data(), value.size());
    p += value.size();
  }
  for (std::size_t i = 0; i < r.header_count; ++i) {
    const auto n = static_cast<std::uint32_t>(headers[i].name.size());
    const auto v = static_cast<std::uint32_t>(headers[i].value.size());
    std::memcpy(p, &n, 4);
    std::memcpy(p + 4, &v, 4);
    if (n) std::memcpy(p + 8, headers[i].name.data(), n);
    if (v) std::memcpy(p + 8 + n, headers[i].value.data(), v);
    p += 8 + n + v;
  }
  return r;
}

std::optional<transaction_book::slot> transaction_book::add(txn_record r) {
  r.state = record_state::unreported;
  if (!is_open_ || has_waiting()) {
    waiting_.push_back(std::move(r));
    return std::nullopt;
  }
  open_.push_back(std::move(r));
  return slot_of(generation_, open_.size() - 1);
}

std::optional<transaction_book::slot> transaction_book::open_next_waiting() {
  if (!is_open_ || !has_waiting()) return std::nullopt;
  open_.push_back(std::move(waiting_[waiting_head_]));
  ++waiting_head_;
  if (waiting_head_ == waiting_.size()) {
    // Emptied: start again at the front, keeping the capacity.
    waiting_.clear();
    waiting_head_ = 0;
  }
  return slot_of(generation_, open_.size() - 1);
}

void transaction_book::unopen_last() {
  if (open_.empty()) return;
  txn_record r = std::move(open_.back());
  open_.pop_back();
  r.state = record_state::unreported;
  if (waiting_head_ > 0) {
    --waiting_head_;
    waiting_[waiting_head_] = std::move(r);
  } else {
    waiting_.insert(waiting_.begin(), std::move(r));
  }
}

txn_record* transaction_book::find(slot s) {
  const auto generation = static_cast<std::uint32_t>(s >> 32);
  const auto index = static_cast<std::size_t>(s & 0xffffffffu);
  if (is_open_ && generation == generation_ && index < open_.size()) return &open_[index];
  if (is_ending_ && generation == ending_generation_ && index < ending_.size()) return &ending_[index];
  return nullptr;
}

bool transaction_book::on_report(slot s, record_state state, produce_error kind, std::string_view error) {
  txn_record* r = find(s);
  if (!r) return false;
  // A dropped record stays dropped whatever librdkafka says of it (an abort purges it anyway).
  if (r->state == record_state::dropped) return true;
  const bool is_in_open = is_open_ && static_cast<std::uint32_t>(s >> 32) == generation_;
  const bool was_trouble = r->state == record_state::retry || r->state == record_state::failed;
  r->state = state;
  if (state == record_state::failed) {
    r->kind = kind;
    r->error.assign(error);
  }
  const bool is_trouble = state == record_state::retry || state == record_state::failed;
  if (is_in_open && is_trouble && !was_trouble) ++open_troubles_;
  if (is_in_open && !is_trouble && was_trouble) --open_troubles_;
  return true;
}

std::vector<txn_record> transaction_book::drop(std::span<const source_tag> tags) {
  std::vector<txn_record> out;
  if (tags.empty()) return out;
  auto is_dropped = [&](const txn_record& r) {
    return r.source != 0 && std::find(tags.begin(), tags.end(), r.source) != tags.end();
  };
  const auto first_waiting = waiting_.begin() + static_cast<std::ptrdiff_t>(waiting_head_);
  if (std::any_of(first_waiting, waiting_.end(), is_dropped)) {
    std::vector<txn_record> kept;
    for (auto it = first_waiting; it != waiting_.end(); ++it) {
      if (is_dropped(*it)) {
        it->state = record_state::dropped;
        out.push_back(std::move(*it));
      } else {
        kept.push_back(std::move(*it));
      }
    }
    waiting_ = std::move(kept);
    waiting_head_ = 0;
  }
  for (auto& r : open_) {
    if (r.state == record_state::dropped || !is_dropped(r)) continue;
    const bool was_trouble = r.state == record_state::retry || r.state == record_state::failed;
    r.state = record_state::dropped;
    if (is_open_ && !was_trouble) ++open_troubles_;
  }
  for (auto& r : ending_)
    if (is_dropped(r)) r.state = record_state::dropped;
  return out;
}

void transaction_book::began() {
  ++generation_;
  if (generation_ == 0) generation_ = 1;  // a slot is never 0
  if (is_ending_ && generation_ == ending_generation_) ++generation_;
  is_open_ = true;
  open_troubles_ = 0;
}

void transaction_book::end_open() {
  ending_.swap(open_);  // both keep their capacity: no allocation per transaction once warm
  open_.clear();
  ending_generation_ = generation_;
  is_ending_ = true;
  is_open_ = false;
  open_troubles_ = 0;
}

void transaction_book::finish_ending(std::vector<txn_record>& again) {
  ending_.clear();
  is_ending_ = false;
  if (again.empty()) return;
  for (auto& r : again) r.state = record_state::unreported;
  // First in line, before what waited already (newer records), in their own order.
  std::vector<txn_record> merged;
  merged.reserve(again.size() + waiting_size());
  for (auto& r : again) merged.push_back(std::move(r));
  for (std::size_t i = waiting_head_; i < waiting_.size(); ++i) merged.push_back(std::move(waiting_[i]));
  waiting_ = std::move(merged);
  waiting_head_ = 0;
}

}  // namespace herald::kafka
