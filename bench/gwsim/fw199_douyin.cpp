#include "fw199_douyin.hpp"

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <charconv>
#include <cstdlib>
#include <optional>
#include <string>

#include "form.hpp"
#include "fw199_sign.hpp"

namespace gwsim {
namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

constexpr std::size_t max_tag_chars = 512;  // docs/gateways.md, `tag`

void put(Writer& w, std::string_view s) {
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}

void key(Writer& w, std::string_view s) {
  w.Key(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}

std::string call_error(int c, std::string_view message) {
  rapidjson::StringBuffer sb;
  Writer w(sb);
  w.StartObject();
  key(w, "code");
  w.Int(c);
  key(w, "message");
  put(w, message);
  key(w, "data");
  w.StartArray();
  w.EndArray();
  w.EndObject();
  return std::string(sb.GetString(), sb.GetSize());
}

// The same rule as the Taobao endpoint: the media type, ASCII case-insensitive, parameters allowed.
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

std::size_t utf8_chars(std::string_view s) {
  std::size_t n = 0;
  for (char c : s)
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++n;
  return n;
}

std::string_view string_member(const rapidjson::Value& v, const char* name) {
  if (!v.IsObject()) return {};
  const auto it = v.FindMember(name);
  if (it == v.MemberEnd() || !it->value.IsString()) return {};
  return {it->value.GetString(), it->value.GetStringLength()};
}

// A call that passed the checks every fw199 抖店 endpoint makes.
struct Call {
  Form form;
  const std::string* appid = nullptr;
  const std::string* seller = nullptr;
  rapidjson::Document request_data;  // an object
};

// The form, appid, timestamp and signature checks, then request_data parsed as a JSON object.
// On failure returns the answer; rejections are counted in `counters` when it is given.
std::optional<SendOutcome> check_call(std::string_view content_type, std::string_view body,
                                      const SendConfig& config, std::int64_t now_unix,
                                      Counters* counters, Call& call) {
  auto fail = [&](int c, std::string_view why, std::string_view message) {
    if (counters) counters->reject_call(why);
    return SendOutcome{call_error(c, message), c, 0, 0};
  };
  if (!is_form_content_type(content_type))
    return fail(code::bad_parameter, reason::bad_form,
                "Content-Type must be application/x-www-form-urlencoded");
  std::string form_error;
  auto parsed = parse_form(body, &form_error);
  if (!parsed) return fail(code::bad_parameter, reason::bad_form, form_error);
  call.form = std::move(*parsed);
  const Form& form = call.form;
  if (const auto dup = first_duplicate_name(form); !dup.empty())
    return fail(code::bad_parameter, reason::bad_form, "duplicate field: " + std::string(dup));

  auto required = [&](std::string_view name) -> const std::string* {
    const std::string* v = find_field(form, name);
    return v && !v->empty() ? v : nullptr;
  };
  call.appid = required("appid");
  if (!call.appid) return fail(code::bad_parameter, reason::missing_field, "missing field: appid");
  const auto secret = config.secrets ? config.secrets->find(*call.appid) : SecretTable::const_iterator{};
  if (!config.secrets || secret == config.secrets->end())
    return fail(code::invalid_appid, reason::invalid_appid, "invalid appid");
  for (const char* name : {"timestamp", "seller_nick", "request_data", "sign"})
    if (!required(name))
      return fail(code::bad_parameter, reason::missing_field, std::string("missing field: ") + name);
  for (const auto& f : form)
    if (!is_valid_utf8(f.value))
      return fail(code::bad_parameter, reason::bad_form, "field " + f.name + " is not UTF-8");

  const std::string& ts_text = *find_field(form, "timestamp");
  std::int64_t ts = 0;
  const auto [ptr, ec] = std::from_chars(ts_text.data(), ts_text.data() + ts_text.size(), ts);
  if (ec != std::errc{} || ptr != ts_text.data() + ts_text.size() || ts_text[0] == '-')
    return fail(code::bad_parameter, reason::bad_timestamp, "invalid field timestamp: not Unix seconds");
  if (std::llabs(ts - now_unix) > config.max_clock_skew)
    return fail(code::bad_parameter, reason::bad_timestamp,
                "invalid field timestamp: " + ts_text + " is more than " +
                    std::to_string(config.max_clock_skew) + " s from server time " +
                    std::to_string(now_unix));

  if (!fw199_verify(form, secret->second, *find_field(form, "sign")))
    return fail(code::invalid_sign, reason::invalid_sign, "invalid sign");

  call.seller = find_field(form, "seller_nick");
  const std::string& text = *find_field(form, "request_data");
  call.request_data.Parse<rapidjson::kParseIterativeFlag>(text.data(), text.size());
  if (call.request_data.HasParseError())
    return fail(code::bad_request_data, reason::bad_request_data,
                std::string("request_data is not valid JSON: ") +
                    rapidjson::GetParseError_En(call.request_data.GetParseError()) + " at offset " +
                    std::to_string(call.request_data.GetErrorOffset()));
  if (!call.request_data.IsObject())
    return fail(code::bad_request_data, reason::bad_request_data, "request_data must be a JSON object");
  return std::nullopt;
}

// One sms_message_list element: nullopt when valid, else the text after "参数错误: ".
std::optional<std::string> item_problem(const rapidjson::Value& item) {
  if (!item.IsObject()) return "item is not an object";
  const auto biz = item.FindMember("biz_type");
  if (biz == item.MemberEnd() || biz->value.IsNull()) return "missing biz_type";
  if (!biz->value.IsInt() || (biz->value.GetInt() != 0 && biz->value.GetInt() != 1))
    return "invalid biz_type (must be 0 or 1)";
  for (const char* name : {"post_tel", "order_id"}) {
    const auto it = item.FindMember(name);
    if (it != item.MemberEnd() && !it->value.IsNull() && !it->value.IsString())
      return std::string("invalid ") + name + " (must be a string)";
  }
  // biz_type 0 addresses post_tel, 1 the buyer of order_id.
  const char* recipient = biz->value.GetInt() == 0 ? "post_tel" : "order_id";
  if (string_member(item, recipient).empty()) return std::string("missing ") + recipient;
  // template_param: the vendor's two samples disagree, so both an object and a string holding
  // one are accepted (docs/gateways.md "fw199 抖店 SMS batch").
  if (const auto it = item.FindMember("template_param"); it != item.MemberEnd() && !it->value.IsNull()) {
    if (it->value.IsString()) {
      rapidjson::Document inner;
      inner.Parse<rapidjson::kParseIterativeFlag>(it->value.GetString(), it->value.GetStringLength());
      if (inner.HasParseError() || !inner.IsObject())
        return "invalid template_param (a string must hold a JSON object)";
    } else if (!it->value.IsObject()) {
      return "invalid template_param (must be an object or a JSON string of one)";
    }
  }
  return std::nullopt;
}

// A uuid-like message id, e.g. 0a01be41-3f2c-4d5e-8a7b-1c2d3e4f5a6b.
std::string message_id(Rng& ids) {
  std::string id = ids.hex(32);
  id.insert(20, 1, '-');
  id.insert(16, 1, '-');
  id.insert(12, 1, '-');
  id.insert(8, 1, '-');
  id[14] = '4';
  return id;
}

void write_item(Writer& w, std::string_view order_id, int c, std::string_view message,
                std::string_view detail, std::string_view id) {
  w.StartObject();
  key(w, "code");
  w.Int(c);
  key(w, "message");
  if (detail.empty()) {
    put(w, message);
  } else {
    std::string m(message);
    m += detail;
    put(w, m);
  }
  key(w, "order_id");  // echoed when one was passed, else ""
  put(w, order_id);
  key(w, "message_id");
  put(w, id);
  w.EndObject();
}

}  // namespace

void shuffle_moving_every_element(std::vector<std::string>& elements, Rng& rng) {
  // Sattolo's algorithm: a uniformly random cyclic permutation, which has no fixed point.
  for (std::size_t i = elements.size(); i > 1; --i) {
    const std::size_t j = static_cast<std::size_t>(rng.next() % (i - 1));
    std::swap(elements[i - 1], elements[j]);
  }
}

SendOutcome douyin_throttled_answer() {
  return SendOutcome{call_error(code::throttled, throttled_message), code::throttled, 0, 0};
}

SendOutcome handle_douyin_send(std::string_view content_type, std::string_view body,
                               const SendConfig& config, Store& store, std::int64_t now_unix,
                               Rng& ids, std::int64_t now_ms) {
  if (now_ms < 0) now_ms = now_unix * 1000;
  Counters& counters = store.counters();
  Call call;
  if (auto failed = check_call(content_type, body, config, now_unix, &counters, call))
    return std::move(*failed);
  auto fail = [&](std::string_view message) {
    counters.reject_call(reason::bad_request_data);
    return SendOutcome{call_error(code::bad_request_data, message), code::bad_request_data, 0, 0};
  };

  const rapidjson::Document& rd = call.request_data;
  const auto list_it = rd.FindMember("sms_message_list");
  if (list_it == rd.MemberEnd() || !list_it->value.IsArray())
    return fail("request_data.sms_message_list must be a JSON array");
  const auto& list = list_it->value;
  const std::size_t n = list.Size();
  if (n > counters.max_batch_seen) counters.max_batch_seen = n;
  if (n == 0) return fail("request_data.sms_message_list is empty");
  if (n > config.max_items)
    return fail("request_data.sms_message_list has " + std::to_string(n) + " items, at most " +
                std::to_string(config.max_items));
  const std::string_view sign_name = string_member(rd, "sign");
  if (sign_name.empty()) return fail("request_data.sign is missing or not a string");
  const std::string_view template_id = string_member(rd, "template_id");
  if (template_id.empty()) return fail("request_data.template_id is missing or not a string");
  for (const char* name : {"tag", "user_ext_code"}) {
    const auto it = rd.FindMember(name);
    if (it != rd.MemberEnd() && !it->value.IsNull() && !it->value.IsString())
      return fail(std::string("request_data.") + name + " must be a string");
  }
  if (utf8_chars(string_member(rd, "tag")) > max_tag_chars)
    return fail("request_data.tag is longer than " + std::to_string(max_tag_chars) + " characters");

  const std::int64_t day = china_day(now_unix);
  SendOutcome out;
  rapidjson::StringBuffer sb;
  sb.Reserve(64 + n * 120);
  Writer w(sb);
  w.StartObject();
  key(w, "code");
  w.Int(code::ok);
  key(w, "message");
  put(w, "ok");
  key(w, "data");
  w.StartArray();
  // --douyin-shuffle-answers: each element written apart, then all in another order. Off (the
  // benchmark's case), they go straight into the answer.
  std::vector<std::string> elements;
  rapidjson::StringBuffer element_sb;
  const auto emit = [&](std::string_view order_id, int c, std::string_view message, std::string_view detail,
                        std::string_view id) {
    if (!config.douyin_shuffle_answers) return write_item(w, order_id, c, message, detail, id);
    element_sb.Clear();
    Writer ew(element_sb);
    write_item(ew, order_id, c, message, detail, id);
    elements.emplace_back(element_sb.GetString(), element_sb.GetSize());
  };
  for (const auto& item : list.GetArray()) {
    const std::string_view order_id = string_member(item, "order_id");
    if (auto problem = item_problem(item)) {
      counters.reject_item(reason::invalid_item);
      ++out.items_rejected;
      emit(order_id, 1, douyin_item_message::illegal_parameter, *problem, "");
      continue;
    }
    if (template_id.starts_with("BAD_")) {
      counters.reject_item(reason::template_not_found);
      ++out.items_rejected;
      emit(order_id, 1, douyin_item_message::template_not_found, {}, "");
      continue;
    }
    const bool by_order = item["biz_type"].GetInt() == 1;
    const std::string_view recipient = by_order ? order_id : string_member(item, "post_tel");
    const ItemKey k{*call.appid, *call.seller, order_id.empty() ? recipient : order_id, template_id,
                    recipient};
    if (!store.try_accept(k, day, config.daily_limit)) {
      counters.reject_item(reason::daily_limit);
      ++out.items_rejected;
      emit(order_id, 1, item_message::daily_limit, {}, "");
      continue;
    }
    ++out.items_accepted;
    std::string id = message_id(ids);
    emit(order_id, 0, "", {}, id);
    store.remember_message_id(std::move(id), now_ms);
  }
  if (config.douyin_shuffle_answers) {
    shuffle_moving_every_element(elements, ids);
    for (const auto& e : elements) w.RawValue(e.data(), e.size(), rapidjson::kObjectType);
  }
  w.EndArray();
  w.EndObject();
  out.body.assign(sb.GetString(), sb.GetSize());
  out.code = code::ok;
  return out;
}

SendOutcome handle_douyin_result(std::string_view content_type, std::string_view body,
                                 const SendConfig& config, const Store& store,
                                 std::int64_t now_unix, Rng&, std::int64_t now_ms) {
  if (now_ms < 0) now_ms = now_unix * 1000;
  Call call;
  if (auto failed = check_call(content_type, body, config, now_unix, nullptr, call))
    return std::move(*failed);
  const auto fail = [](std::string_view message) {
    return SendOutcome{call_error(code::bad_request_data, message), code::bad_request_data, 0, 0};
  };
  const auto ids_it = call.request_data.FindMember("message_ids");
  if (ids_it == call.request_data.MemberEnd() || !ids_it->value.IsArray())
    return fail("request_data.message_ids must be a JSON array");
  const auto& asked = ids_it->value;
  if (asked.Empty()) return fail("request_data.message_ids is empty");
  if (asked.Size() > config.max_items)
    return fail("request_data.message_ids has " + std::to_string(asked.Size()) + " ids, at most " +
                std::to_string(config.max_items));
  for (const auto& id : asked.GetArray())
    if (!id.IsString()) return fail("request_data.message_ids must hold strings");

  rapidjson::StringBuffer sb;
  Writer w(sb);
  w.StartObject();
  key(w, "code");
  w.Int(code::ok);
  key(w, "message");
  put(w, "ok");
  key(w, "data");
  w.StartArray();
  for (const auto& id : asked.GetArray()) {
    const std::string_view text(id.GetString(), id.GetStringLength());
    const auto accepted_at = store.message_id_accepted_at_ms(text);
    // Unknown ids are left out, and so are the ones still hidden (--receipt-hide-ms).
    if (!accepted_at || !receipt_is_visible(*accepted_at, now_ms, config.receipt_hide_ms)) continue;
    // Delivered (the sim has no carrier that could fail later), after --receipt-delay-ms.
    const int status = reported_receipt_status(3, *accepted_at, now_ms, config.receipt_delay_ms);
    w.StartObject();
    key(w, "message_id");
    put(w, text);
    key(w, "status");
    w.Int(status);
    key(w, "err_code");
    put(w, status == 3 ? "DELIVRD" : "");
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  SendOutcome out;
  out.body.assign(sb.GetString(), sb.GetSize());
  out.code = code::ok;
  return out;
}

}  // namespace gwsim
