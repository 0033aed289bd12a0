#include "sim.hpp"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <utility>

#include "form.hpp"
#include "top_oaid.hpp"

namespace gwsim {
namespace {

std::string message_json(int code, std::string_view message) {
  rapidjson::StringBuffer sb;
  rapidjson::Writer<rapidjson::StringBuffer> w(sb);
  w.StartObject();
  w.Key("code");
  w.Int(code);
  w.Key("message");
  w.String(message.data(), static_cast<rapidjson::SizeType>(message.size()));
  w.EndObject();
  return std::string(sb.GetString(), sb.GetSize());
}

Reply json_reply(unsigned status, std::string body) {
  return Reply{Action::respond, status, std::move(body), std::chrono::milliseconds{0}};
}

Reply error_reply(unsigned status, std::string_view message) {
  return json_reply(status, message_json(static_cast<int>(status), message));
}

}  // namespace

Simulator::Simulator(SimConfig config)
    : secrets_(std::move(config.secrets)),
      faults_(config.faults),
      fault_rng_(config.seed),
      id_rng_(config.seed ^ 0x5DEECE66DULL) {
  send_config_.secrets = &secrets_;
  send_config_.daily_limit = config.daily_limit;
  send_config_.receipt_hide_ms = config.receipt_hide_ms;
  send_config_.receipt_delay_ms = config.receipt_delay_ms;
  send_config_.douyin_shuffle_answers = config.douyin_shuffle_answers;
}

Reply Simulator::handle(std::string_view method, std::string_view target,
                        std::string_view content_type, std::string_view body,
                        std::int64_t now_unix, std::int64_t now_ms, std::int64_t steady_ms) {
  if (now_ms < 0) now_ms = now_unix * 1000;
  if (steady_ms < 0) steady_ms = now_ms;
  const std::string_view path = target.substr(0, target.find('?'));
  const bool get = method == "GET";
  const bool post = method == "POST";
  if (path == send_path) {
    if (!post) return error_reply(405, "use POST");
    return handle_send(handle_oaid_send, content_type, body, now_unix, steady_ms,
                       {known(form_value(body, "appid")), oaid_throttled_answer});
  }
  if (path == douyin_send_path) {
    if (!post) return error_reply(405, "use POST");
    return handle_send(
        [now_ms](std::string_view ct, std::string_view b, const SendConfig& config, Store& store,
                 std::int64_t now, Rng& ids) { return handle_douyin_send(ct, b, config, store, now, ids, now_ms); },
        content_type, body, now_unix, steady_ms,
        {known(form_value(body, "appid")), [](Rng&) { return douyin_throttled_answer(); }});
  }
  if (path == top_path) {
    if (!post) return error_reply(405, "use POST");
    return handle_send(handle_top_send, content_type, body, now_unix, steady_ms,
                       {known(form_value(body, "app_key")), top_throttled_answer});
  }
  if (path == douyin_result_path) {
    // A query, not a send: no faults, not counted in the stats.
    if (!post) return error_reply(405, "use POST");
    return json_reply(200, handle_douyin_result(content_type, body, send_config_, store_, now_unix,
                                                id_rng_, now_ms).body);
  }
  if (path == aliyun_path) {
    // Alibaba Cloud RPC: every Action on "/", parameters in the query string and/or the body.
    if (!post && !get) return error_reply(405, "use POST or GET");
    const std::string_view query =
        path.size() < target.size() ? target.substr(path.size() + 1) : std::string_view{};
    // Only the send Actions are capped and counted in the rate windows, not the receipt queries.
    auto sender = aliyun_sender(method, query, body);
    const bool card = sender && sender->card;
    return handle_send(
        [&](std::string_view ct, std::string_view b, const SendConfig& config, Store& store,
            std::int64_t now, Rng& ids) {
          return handle_aliyun_rpc(method, query, ct, b, config, aliyun_, store, now, ids, now_ms);
        },
        content_type, body, now_unix, steady_ms,
        {known(sender ? std::optional<std::string>(std::move(sender->access_key)) : std::nullopt),
         [card](Rng& ids) { return aliyun_throttled_answer(card, ids); }});
  }
  if (path == "/_sim/stats") {
    if (!get) return error_reply(405, "use GET");
    return json_reply(200, store_.stats_json());
  }
  if (path == "/_sim/accepted") {
    if (!get) return error_reply(405, "use GET");
    return json_reply(200, store_.accepted_json());
  }
  if (path == "/_sim/reset") {
    if (!post) return error_reply(405, "use POST");
    store_.reset();
    aliyun_.reset();
    // The cap's windows too, not only max_calls_per_second: after a reset every account starts
    // with a full second's allowance, so a test's phases do not leak into each other.
    rate_.reset();
    return json_reply(200, message_json(0, "reset"));
  }
  if (path == "/_sim/faults") {
    if (get) return json_reply(200, settings_json());
    if (!post) return error_reply(405, "use GET or POST");
    if (auto error = apply_settings(body)) return error_reply(400, *error);
    return json_reply(200, settings_json());
  }
  return error_reply(404, "no such path: " + std::string(path.substr(0, 200)));
}

std::optional<std::string> Simulator::known(std::optional<std::string> account) const {
  if (account && secrets_.count(*account) == 0) account.reset();
  return account;
}

Reply Simulator::handle_send(SendHandler handler, std::string_view content_type,
                             std::string_view body, std::int64_t now_unix, std::int64_t steady_ms,
                             Sender sender) {
  Counters& counters = store_.counters();
  ++counters.requests;
  const std::chrono::milliseconds latency{faults_.latency_ms};
  if (sender.account) {
    // Before the faults, as a gateway's flow control sits in front of the service that fails: a
    // refused call draws no fault and records nothing, and every call let through counts against
    // the cap, whatever happens to it next.
    const bool admitted = rate_.arrive(*sender.account, steady_ms, faults_.rate_limit_qps);
    counters.max_calls_per_second = rate_.max_in_window();
    if (!admitted) {
      ++counters.throttled;
      SendOutcome answer = sender.throttled(id_rng_);
      return Reply{Action::respond, answer.http_status, std::move(answer.body), latency};
    }
  }
  if (fault_rng_.chance(faults_.p_reset)) {
    ++counters.fault_reset;
    return Reply{Action::reset, 0, {}, std::chrono::milliseconds{0}};
  }
  if (fault_rng_.chance(faults_.p_5xx)) {
    ++counters.fault_5xx;
    return Reply{Action::respond, 503,
                 message_json(503, "service unavailable (simulated fault)"), latency};
  }
  const bool drop = fault_rng_.chance(faults_.p_drop_answer);
  const bool slow = !drop && fault_rng_.chance(faults_.p_slow);
  // Items are recorded when the call arrives; latency and slowness only delay the answer.
  SendOutcome outcome = handler(content_type, body, send_config_, store_, now_unix, id_rng_);
  if (drop) {
    ++counters.fault_drop_answer;
    return Reply{Action::drop, 0, {}, std::chrono::milliseconds{0}};
  }
  auto delay = latency;
  if (slow) {
    ++counters.fault_slow;
    delay += std::chrono::milliseconds{faults_.slow_ms};
  }
  return Reply{Action::respond, outcome.http_status, std::move(outcome.body), delay};
}

std::string Simulator::settings_json() const {
  rapidjson::StringBuffer sb;
  rapidjson::Writer<rapidjson::StringBuffer> w(sb);
  w.StartObject();
  w.Key("fault_5xx");
  w.Double(faults_.p_5xx);
  w.Key("fault_reset");
  w.Double(faults_.p_reset);
  w.Key("fault_slow");
  w.Double(faults_.p_slow);
  w.Key("fault_drop_answer");
  w.Double(faults_.p_drop_answer);
  w.Key("slow_ms");
  w.Uint(faults_.slow_ms);
  w.Key("latency_ms");
  w.Uint(faults_.latency_ms);
  w.Key("daily_limit");
  w.Uint(send_config_.daily_limit);
  w.Key("receipt_hide_ms");
  w.Uint(send_config_.receipt_hide_ms);
  w.Key("receipt_delay_ms");
  w.Uint(send_config_.receipt_delay_ms);
  w.Key("rate_limit_qps");
  w.Uint(faults_.rate_limit_qps);
  w.Key("douyin_shuffle_answers");
  w.Bool(send_config_.douyin_shuffle_answers);
  w.EndObject();
  return std::string(sb.GetString(), sb.GetSize());
}

std::optional<std::string> Simulator::apply_settings(std::string_view json) {
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseIterativeFlag>(json.data(), json.size());
  if (doc.HasParseError() || !doc.IsObject()) return "body must be a JSON object";
  FaultSettings next = faults_;
  std::uint32_t daily_limit = send_config_.daily_limit;
  std::uint32_t receipt_hide_ms = send_config_.receipt_hide_ms;
  std::uint32_t receipt_delay_ms = send_config_.receipt_delay_ms;
  bool douyin_shuffle_answers = send_config_.douyin_shuffle_answers;
  for (const auto& m : doc.GetObject()) {
    const std::string_view name(m.name.GetString(), m.name.GetStringLength());
    const auto& v = m.value;
    if (name == "douyin_shuffle_answers") {
      if (!v.IsBool()) return std::string(name) + " must be true or false";
      douyin_shuffle_answers = v.GetBool();
      continue;
    }
    double* rate = name == "fault_5xx"           ? &next.p_5xx
                   : name == "fault_reset"       ? &next.p_reset
                   : name == "fault_slow"        ? &next.p_slow
                   : name == "fault_drop_answer" ? &next.p_drop_answer
                                                 : nullptr;
    std::uint32_t* count = name == "slow_ms"            ? &next.slow_ms
                           : name == "latency_ms"       ? &next.latency_ms
                           : name == "daily_limit"      ? &daily_limit
                           : name == "receipt_hide_ms"  ? &receipt_hide_ms
                           : name == "receipt_delay_ms" ? &receipt_delay_ms
                           : name == "rate_limit_qps"   ? &next.rate_limit_qps
                                                        : nullptr;
    if (rate) {
      if (!v.IsNumber() || v.GetDouble() < 0 || v.GetDouble() > 1)
        return std::string(name) + " must be a number in [0, 1]";
      *rate = v.GetDouble();
    } else if (count) {
      if (!v.IsUint()) return std::string(name) + " must be a non-negative integer";
      *count = v.GetUint();
    } else {
      return "unknown setting: " + std::string(name);
    }
  }
  faults_ = next;
  send_config_.daily_limit = daily_limit;
  send_config_.receipt_hide_ms = receipt_hide_ms;
  send_config_.receipt_delay_ms = receipt_delay_ms;
  send_config_.douyin_shuffle_answers = douyin_shuffle_answers;
  return std::nullopt;
}

}  // namespace gwsim
