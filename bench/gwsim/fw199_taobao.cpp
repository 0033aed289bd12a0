#include "fw199_taobao.hpp"

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <charconv>
#include <cstdlib>

#include "form.hpp"
#include "fw199_sign.hpp"

namespace gwsim {
namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

void put(Writer& w, std::string_view s) {
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}

void key(Writer& w, std::string_view s) {
  w.Key(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}

std::string call_error(int c, std::string_view message, Rng& ids) {
  rapidjson::StringBuffer sb;
  Writer w(sb);
  w.StartObject();
  key(w, "code");
  w.Int(c);
  key(w, "message");
  put(w, message);
  key(w, "trace_id");
  put(w, ids.hex(32));
  key(w, "data");
  w.StartArray();
  w.EndArray();
  w.EndObject();
  return std::string(sb.GetString(), sb.GetSize());
}

bool is_form_content_type(std::string_view ct) {
  ct = ct.substr(0, ct.find(';'));
  while (!ct.empty() && (ct.back() == ' ' || ct.back() == '\t')) ct.remove_suffix(1);
  while (!ct.empty() && (ct.front() == ' ' || ct.front() == '\t')) ct.remove_prefix(1);
  constexpr std::string_view want = "application/x-www-form-urlencoded";
  if (ct.size() != want.size()) return false;
  for (std::size_t i = 0; i < ct.size(); ++i) {
    char c = ct[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != want[i]) return false;
  }
  return true;
}

// Empty strings count as missing, like the real gateway's required-parameter checks.
const std::string* required(const Form& form, std::string_view name) {
  const std::string* v = find_field(form, name);
  return v && !v->empty() ? v : nullptr;
}

// One request_data element: nullopt when valid, else the text after "非法参数: ".
std::optional<std::string> item_problem(const rapidjson::Value& item) {
  if (!item.IsObject()) return "item is not an object";
  for (const char* name : {"order_id", "oaid", "sms_free_sign_name", "template_code"}) {
    const auto it = item.FindMember(name);
    if (it == item.MemberEnd() || it->value.IsNull() ||
        (it->value.IsString() && it->value.GetStringLength() == 0))
      return std::string("missing ") + name;
    if (!it->value.IsString()) return std::string("invalid ") + name + " (must be a string)";
  }
  if (const auto it = item.FindMember("params");
      it != item.MemberEnd() && !it->value.IsNull() && !it->value.IsObject())
    return "invalid params (must be an object)";
  for (const char* name : {"extend", "extend_code", "extend_name"}) {
    const auto it = item.FindMember(name);
    if (it != item.MemberEnd() && !it->value.IsNull() && !it->value.IsString())
      return std::string("invalid ") + name + " (must be a string)";
  }
  if (const auto it = item.FindMember("additional_info");
      it != item.MemberEnd() && !it->value.IsNull() && !it->value.IsBool())
    return "invalid additional_info (must be a boolean)";
  return std::nullopt;
}

std::string_view string_member(const rapidjson::Value& item, const char* name) {
  if (!item.IsObject()) return {};
  const auto it = item.FindMember(name);
  if (it == item.MemberEnd() || !it->value.IsString()) return {};
  return {it->value.GetString(), it->value.GetStringLength()};
}

void write_item(Writer& w, std::string_view order_id, bool accepted, std::string_view message,
                std::string_view detail, Rng& ids) {
  w.StartObject();
  key(w, "order_id");
  put(w, order_id);
  key(w, "code");
  w.Int(accepted ? 0 : 1);
  key(w, "message");
  if (detail.empty()) {
    put(w, message);
  } else {
    std::string m(message);
    m += detail;
    put(w, m);
  }
  key(w, "request_id");
  put(w, ids.alnum(13));
  key(w, "module");
  w.StartObject();
  key(w, "code");
  if (accepted) {
    std::string send_id = ids.digits(16);
    send_id += "^0";
    put(w, send_id);
  } else {
    put(w, "");
  }
  key(w, "nameLen");
  w.Int(accepted ? 3 : 0);
  w.EndObject();
  w.EndObject();
}

}  // namespace

SendOutcome oaid_throttled_answer(Rng& ids) {
  return SendOutcome{call_error(code::throttled, throttled_message, ids), code::throttled, 0, 0};
}

SendOutcome handle_oaid_send(std::string_view content_type, std::string_view body,
                             const SendConfig& config, Store& store, std::int64_t now_unix,
                             Rng& ids) {
  Counters& counters = store.counters();
  auto fail = [&](int c, std::string_view why, std::string_view message) {
    counters.reject_call(why);
    return SendOutcome{call_error(c, message, ids), c, 0, 0};
  };

  if (!is_form_content_type(content_type))
    return fail(code::bad_parameter, reason::bad_form,
                "Content-Type must be application/x-www-form-urlencoded");
  std::string form_error;
  const auto parsed = parse_form(body, &form_error);
  if (!parsed) return fail(code::bad_parameter, reason::bad_form, form_error);
  const Form& form = *parsed;
  if (const auto dup = first_duplicate_name(form); !dup.empty())
    return fail(code::bad_parameter, reason::bad_form, "duplicate field: " + std::string(dup));

  const std::string* appid = required(form, "appid");
  if (!appid) return fail(code::bad_parameter, reason::missing_field, "missing field: appid");
  const auto secret = config.secrets ? config.secrets->find(*appid) : SecretTable::const_iterator{};
  if (!config.secrets || secret == config.secrets->end())
    return fail(code::invalid_appid, reason::invalid_appid, "invalid appid");

  for (const char* name : {"timestamp", "tb_seller_nick", "request_data", "sign"})
    if (!required(form, name))
      return fail(code::bad_parameter, reason::missing_field,
                  std::string("missing field: ") + name);
  for (const auto& f : form)
    if (!is_valid_utf8(f.value))
      return fail(code::bad_parameter, reason::bad_form, "field " + f.name + " is not UTF-8");

  const std::string& ts_text = *find_field(form, "timestamp");
  std::int64_t ts = 0;
  const auto [ptr, ec] = std::from_chars(ts_text.data(), ts_text.data() + ts_text.size(), ts);
  if (ec != std::errc{} || ptr != ts_text.data() + ts_text.size() || ts_text[0] == '-')
    return fail(code::bad_parameter, reason::bad_timestamp,
                "invalid field timestamp: not Unix seconds");
  if (std::llabs(ts - now_unix) > config.max_clock_skew)
    return fail(code::bad_parameter, reason::bad_timestamp,
                "invalid field timestamp: " + ts_text + " is more than " +
                    std::to_string(config.max_clock_skew) + " s from server time " +
                    std::to_string(now_unix));

  if (!fw199_verify(form, secret->second, *find_field(form, "sign")))
    return fail(code::invalid_sign, reason::invalid_sign, "invalid sign");

  const std::string& request_data = *find_field(form, "request_data");
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseIterativeFlag>(request_data.data(), request_data.size());
  if (doc.HasParseError())
    return fail(code::bad_request_data, reason::bad_request_data,
                std::string("request_data is not valid JSON: ") +
                    rapidjson::GetParseError_En(doc.GetParseError()) + " at offset " +
                    std::to_string(doc.GetErrorOffset()));
  if (!doc.IsArray())
    return fail(code::bad_request_data, reason::bad_request_data,
                "request_data must be a JSON array");
  const std::size_t n = doc.Size();
  if (n > counters.max_batch_seen) counters.max_batch_seen = n;
  if (n == 0)
    return fail(code::bad_request_data, reason::bad_request_data, "request_data is empty");
  if (n > config.max_items)
    return fail(code::bad_request_data, reason::bad_request_data,
                "request_data has " + std::to_string(n) + " items, at most " +
                    std::to_string(config.max_items));

  const std::string& seller = *find_field(form, "tb_seller_nick");
  const std::int64_t day = china_day(now_unix);
  SendOutcome out;
  rapidjson::StringBuffer sb;
  sb.Reserve(160 + n * 180);
  Writer w(sb);
  w.StartObject();
  key(w, "code");
  w.Int(code::ok);
  key(w, "message");
  put(w, "ok");
  key(w, "trace_id");
  put(w, ids.hex(32));
  key(w, "data");
  w.StartArray();
  for (const auto& item : doc.GetArray()) {
    const std::string_view order_id = string_member(item, "order_id");
    if (auto problem = item_problem(item)) {
      counters.reject_item(reason::invalid_item);
      ++out.items_rejected;
      write_item(w, order_id, false, item_message::illegal_parameter, *problem, ids);
      continue;
    }
    const ItemKey k{*appid, seller, order_id, string_member(item, "template_code"),
                    string_member(item, "oaid")};
    if (k.template_code.starts_with("BAD_")) {
      counters.reject_item(reason::template_not_found);
      ++out.items_rejected;
      write_item(w, order_id, false, item_message::template_not_found, {}, ids);
      continue;
    }
    if (!store.try_accept(k, day, config.daily_limit)) {
      counters.reject_item(reason::daily_limit);
      ++out.items_rejected;
      write_item(w, order_id, false, item_message::daily_limit, {}, ids);
      continue;
    }
    ++out.items_accepted;
    write_item(w, order_id, true, "success", {}, ids);
  }
  w.EndArray();
  w.EndObject();
  out.body.assign(sb.GetString(), sb.GetSize());
  out.code = code::ok;
  return out;
}

}  // namespace gwsim
