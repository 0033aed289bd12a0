#include "herald/pipeline/dlq_replay.hpp"

#include <algorithm>
#include <charconv>

#include "herald/util/time_parse.hpp"

namespace herald::pipeline {
namespace {

const kafka::header* find(std::span<const kafka::header> headers, std::string_view name) {
  // The last one wins, as for a map: a copy never has two, a hand-made record might.
  const kafka::header* found = nullptr;
  for (const auto& h : headers)
    if (h.name == name) found = &h;
  return found;
}

}  // namespace

std::string_view dlq_reason_class(std::span<const kafka::header> headers) {
  const auto* h = find(headers, dlq_class_header);
  return h ? h->value : std::string_view();
}

bool is_dlq_bookkeeping_header(std::string_view name) { return name.starts_with("herald."); }

replay_choice choose_replay(std::span<const kafka::header> headers, bool is_value_null,
                            std::span<const std::string> events_topics, std::span<const std::string> classes) {
  replay_choice c;
  c.reason_class = dlq_reason_class(headers);
  const auto* source = find(headers, dlq_source_topic_header);
  if (!source) {
    c.skip_reason = "not a Herald DLQ copy (no " + std::string(dlq_source_topic_header) + " header)";
    return c;
  }
  if (!classes.empty() &&
      std::find(classes.begin(), classes.end(), c.reason_class) == classes.end()) {
    c.skip_reason = c.reason_class.empty()
                        ? "no reason class (a copy written before " + std::string(dlq_class_header) +
                              " existed): not selected by --reason-class"
                        : "reason class " + std::string(c.reason_class) + " not selected";
    return c;
  }
  if (is_value_null) {
    c.skip_reason = "null value (the original record could not be read): nothing to replay";
    return c;
  }
  if (const auto* cut = find(headers, dlq_truncated_header); cut && cut->value == "true") {
    c.skip_reason = "cut to fit the DLQ's record limit: not the original bytes";
    return c;
  }
  if (std::find(events_topics.begin(), events_topics.end(), source->value) == events_topics.end()) {
    c.skip_reason = "its source topic \"" + std::string(source->value) + "\" is not one of kafka.topics";
    return c;
  }
  c.is_replayed = true;
  c.topic = source->value;
  return c;
}

result<replay_position> parse_replay_position(std::string_view text) {
  using kind = replay_position::kind;
  if (text == "beginning") return replay_position{kind::beginning, 0};
  if (text == "end") return replay_position{kind::end, 0};
  if (!text.empty() && std::all_of(text.begin(), text.end(), [](char ch) { return ch >= '0' && ch <= '9'; })) {
    std::int64_t n = 0;
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
    if (ec != std::errc() || ptr != text.data() + text.size())
      return make_error("\"" + std::string(text) + "\": number out of range");
    return n < min_epoch_ms_position ? replay_position{kind::offset, n} : replay_position{kind::time, n};
  }
  if (!text.empty() && (text[0] == '-' || text[0] == '+'))
    return make_error("\"" + std::string(text) + "\": an offset is a whole number from 0");
  auto ms = time::parse_iso8601_ms(text);
  if (!ms)
    return make_error(ms.message() + "; or give an offset, Unix milliseconds, \"beginning\" or \"end\"");
  return replay_position{kind::time, *ms};
}

}  // namespace herald::pipeline
