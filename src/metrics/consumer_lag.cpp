#include "herald/metrics/consumer_lag.hpp"

#include <rapidjson/error/en.h>
#include <rapidjson/memorystream.h>
#include <rapidjson/reader.h>

#include <charconv>
#include <limits>

namespace herald::metrics {
namespace {

// Follows one path through the document: root → "topics" → <topic> → "partitions" →
// <partition> → "consumer_lag_stored". `matched` is how many of those objects we are inside.
class lag_handler : public rapidjson::BaseReaderHandler<rapidjson::UTF8<>, lag_handler> {
 public:
  explicit lag_handler(std::vector<partition_lag>& rows) : rows_(rows) {}

  bool StartObject() {
    if (depth_ == matched_) {
      // An object that is the value of `key_` at the deepest level on the path.
      switch (matched_) {
        case 0: matched_ = 1; break;  // the root
        case 1: if (key_ == "topics") matched_ = 2; break;
        case 2: topic_ = key_; matched_ = 3; break;
        case 3: if (key_ == "partitions") matched_ = 4; break;
        case 4: partition_ = key_; matched_ = 5; break;
        default: break;
      }
    }
    ++depth_;
    key_.clear();
    return true;
  }
  bool EndObject(rapidjson::SizeType) { return leave(); }
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
  bool Int(int v) { return lag(v); }
  bool Uint(unsigned v) { return lag(v); }
  bool Int64(std::int64_t v) { return lag(v); }
  bool Uint64(std::uint64_t v) {
    if (v <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) lag(static_cast<std::int64_t>(v));
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

  bool lag(std::int64_t v) {
    if (matched_ != 5 || depth_ != 5 || key_ != "consumer_lag_stored") return true;
    std::int32_t partition = 0;
    const char* first = partition_.data();
    const char* last = first + partition_.size();
    const auto r = std::from_chars(first, last, partition);
    if (r.ec != std::errc() || r.ptr != last || partition < 0 || v < 0) return true;
    rows_.push_back({topic_, partition, v});
    return true;
  }

  std::vector<partition_lag>& rows_;
  int depth_ = 0;
  int matched_ = 0;
  std::string key_;
  std::string topic_;
  std::string partition_;
};

}  // namespace

result<std::vector<partition_lag>> parse_consumer_lag(std::string_view stats_json) {
  std::vector<partition_lag> rows;
  lag_handler handler(rows);
  rapidjson::MemoryStream stream(stats_json.data(), stats_json.size());
  rapidjson::Reader reader;
  const auto r = reader.Parse<rapidjson::kParseIterativeFlag>(stream, handler);
  if (r.IsError())
    return make_error(std::string("kafka statistics not JSON: ") + rapidjson::GetParseError_En(r.Code()) +
                      " at offset " + std::to_string(r.Offset()));
  return rows;
}

}  // namespace herald::metrics
