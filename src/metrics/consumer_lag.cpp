#include "herald/metrics/consumer_lag.hpp"

#include <rapidjson/error/en.h>
#include <rapidjson/memorystream.h>
#include <rapidjson/reader.h>

#include <algorithm>
#include <charconv>
#include <limits>

namespace herald::metrics {
namespace {

// Follows one path through the document: root → "topics" → <topic> → "partitions" →
// <partition> → its fields. `matched_` is how many of those objects we are inside.
class stats_handler : public rapidjson::BaseReaderHandler<rapidjson::UTF8<>, stats_handler> {
 public:
  explicit stats_handler(std::vector<partition_stats>& rows) : rows_(rows) {}

  bool StartObject() {
    if (depth_ == matched_) {
      // An object that is the value of `key_` at the deepest level on the path.
      switch (matched_) {
        case 0: matched_ = 1; break;  // the root
        case 1: if (key_ == "topics") matched_ = 2; break;
        case 2: topic_ = key_; matched_ = 3; break;
        case 3: if (key_ == "partitions") matched_ = 4; break;
        case 4: enter_partition(); break;
        default: break;
      }
    }
    ++depth_;
    key_.clear();
    return true;
  }
  bool EndObject(rapidjson::SizeType) {
    if (matched_ == 5 && depth_ == 5) leave_partition();
    return leave();
  }
  bool StartArray() {
    ++depth_;  // arrays are never on the path: matched_ stays below depth_ inside them
    key_.clear();
    return true;
  }
  bool EndArray(rapidjson::SizeType) { return leave(); }
  bool Key(const char* s, rapidjson::SizeType n, bool) {
    if (depth_ == matched_) key_.assign(s, n);
    return true;
  }
  bool Int(int v) { return field(v); }
  bool Uint(unsigned v) { return field(v); }
  bool Int64(std::int64_t v) { return field(v); }
  bool Uint64(std::uint64_t v) {
    if (v <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) field(static_cast<std::int64_t>(v));
    return true;
  }
  // Everything else (strings, doubles, booleans, nulls) is a value we do not want.
  bool Default() { return true; }

 private:
  bool leave() {
    --depth_;
    if (matched_ > depth_) matched_ = depth_;
    key_.clear();
    return true;
  }

  void enter_partition() {
    matched_ = 5;
    row_ = partition_stats{};
    ls_offset_ = hi_offset_ = -1;
    const char* first = key_.data();
    const char* last = first + key_.size();
    const auto r = std::from_chars(first, last, row_.partition);
    is_row_ok_ = r.ec == std::errc() && r.ptr == last && row_.partition >= 0;
  }

  void leave_partition() {
    row_.end_offset = ls_offset_ >= 0 ? ls_offset_ : hi_offset_;
    if (!is_row_ok_ || (row_.end_offset < 0 && row_.lag_stored < 0)) return;
    row_.topic = topic_;
    rows_.push_back(std::move(row_));
  }

  bool field(std::int64_t v) {
    if (matched_ != 5 || depth_ != 5 || v < 0) return true;
    if (key_ == "consumer_lag_stored") row_.lag_stored = v;
    else if (key_ == "ls_offset") ls_offset_ = v;
    else if (key_ == "hi_offset") hi_offset_ = v;
    else if (key_ == "lo_offset") row_.start_offset = v;
    else if (key_ == "committed_offset") row_.committed_offset = v;
    return true;
  }

  std::vector<partition_stats>& rows_;
  int depth_ = 0;
  int matched_ = 0;
  std::string key_;
  std::string topic_;
  partition_stats row_;
  bool is_row_ok_ = false;
  std::int64_t ls_offset_ = -1;
  std::int64_t hi_offset_ = -1;
};

}  // namespace

result<std::vector<partition_stats>> parse_partition_stats(std::string_view stats_json) {
  std::vector<partition_stats> rows;
  stats_handler handler(rows);
  rapidjson::MemoryStream stream(stats_json.data(), stats_json.size());
  rapidjson::Reader reader;
  const auto r = reader.Parse<rapidjson::kParseIterativeFlag>(stream, handler);
  if (r.IsError())
    return make_error(std::string("kafka statistics not JSON: ") + rapidjson::GetParseError_En(r.Code()) +
                      " at offset " + std::to_string(r.Offset()));
  return rows;
}

std::optional<std::int64_t> lag_of(const partition_stats& s, std::optional<std::int64_t> position) {
  if (s.end_offset >= 0) {
    if (position && *position >= 0) return std::max<std::int64_t>(0, s.end_offset - *position);
    if (s.committed_offset >= 0) return std::max<std::int64_t>(0, s.end_offset - s.committed_offset);
    if (s.start_offset >= 0) return std::max<std::int64_t>(0, s.end_offset - s.start_offset);
  }
  if (s.lag_stored >= 0) return s.lag_stored;
  return std::nullopt;
}

}  // namespace herald::metrics
