// Alibaba Cloud SendSms, SendBatchSms and SendCardSms after the common checks (aliyun_rpc.cpp).
// A send is all or nothing: every number is checked before any is accepted, and one Code answers
// for the call. README "Alibaba Cloud SMS".
#include <rapidjson/document.h>

#include <vector>

#include "aliyun_internal.hpp"

namespace gwsim::aliyun {
namespace {

// The numbers, sign names and template of one send, with the receipts' details.
struct Send {
  std::vector<std::string> phones;
  std::vector<std::string> sign_names;  // one per phone
  std::string template_code;
  std::string out_id;
};

SendOutcome ok_answer(Call& call, const std::string& biz_id, std::size_t accepted) {
  rapidjson::StringBuffer sb;
  Writer w(sb);
  w.StartObject();
  key(w, "RequestId");
  put(w, call.request_id);
  key(w, "Code");
  put(w, "OK");
  key(w, "Message");
  put(w, "OK");
  key(w, "BizId");
  put(w, biz_id);
  w.EndObject();
  SendOutcome out;
  out.body.assign(sb.GetString(), sb.GetSize());
  out.items_accepted = accepted;
  return out;
}

std::string biz_id(Rng& ids) { return ids.digits(16) + "^0"; }

// An isv.* refusal of the whole call, counted per number.
SendOutcome refuse(Call& call, std::size_t numbers, std::string_view why, std::string_view code,
                   std::string_view message, bool with_success = false) {
  for (std::size_t i = 0; i < numbers; ++i) call.store.counters().reject_item(why);
  SendOutcome out = error(200, code, message, call.request_id, with_success);
  out.items_rejected = numbers;
  return out;
}

// The checks every send makes on its numbers, names and template, in order; nullopt when fine.
std::optional<SendOutcome> check(Call& call, const Send& s, bool with_success) {
  const std::size_t n = s.phones.size();
  for (const auto& phone : s.phones)
    if (!aliyun_phone_is_valid(phone))
      return refuse(call, n, aliyun_reason::mobile_illegal, "isv.MOBILE_NUMBER_ILLEGAL", "非法手机号", with_success);
  for (const auto& name : s.sign_names)
    if (name.starts_with("BAD_"))
      return refuse(call, n, aliyun_reason::signature_name_illegal, "isv.SMS_SIGNATURE_ILLEGAL", "该账号下找不到对应签名",
                    with_success);
  if (s.template_code.starts_with("BAD_"))
    return refuse(call, n, gwsim::reason::template_not_found, "isv.SMS_TEMPLATE_ILLEGAL", "该账号下找不到对应模板",
                  with_success);
  if (s.out_id.size() > 256)
    return refuse(call, n, gwsim::reason::invalid_item, "isv.PARAM_LENGTH_LIMIT", "OutId is longer than 256",
                  with_success);
  const std::int64_t day = china_day(call.now);
  for (std::size_t i = 0; i < n; ++i) {
    const ItemKey k{call.access_key, s.sign_names[i], s.out_id, s.template_code, s.phones[i]};
    if (call.config.daily_limit != 0 && call.store.accepted_today(k, day) >= call.config.daily_limit)
      return refuse(call, n, gwsim::reason::daily_limit, "isv.DAY_LIMIT_CONTROL", "触发日发送限额", with_success);
  }
  return std::nullopt;
}

// Records every number (try_accept cannot refuse after check(), except for one number repeated
// within a call beyond its limit, which is then simply not counted again).
void accept(Call& call, const Send& s, const std::vector<std::string>& ids_per_number, bool is_card,
            const std::vector<std::string>& receive_types, const std::vector<bool>& delivered) {
  const std::int64_t day = china_day(call.now);
  for (std::size_t i = 0; i < s.phones.size(); ++i) {
    if (delivered[i]) {
      const ItemKey k{call.access_key, s.sign_names[i], s.out_id, s.template_code, s.phones[i]};
      call.store.try_accept(k, day, 0);
    }
    AliyunReceipt r;
    r.access_key = std::string(call.access_key);
    r.is_card = is_card;
    r.biz_id = ids_per_number[i];
    r.out_id = s.out_id;
    r.phone = s.phones[i];
    r.template_code = s.template_code;
    r.send_day = china_day_text(call.now);
    r.send_time = china_time_text(call.now);
    r.receive_type = receive_types[i];
    r.accepted_at_ms = call.now_ms;
    if (!delivered[i]) {
      call.store.counters().reject_item("card_not_supported");
      r.status = 2;
      r.err_code = "CARD_NOT_SUPPORTED";
    }
    call.state.add_receipt(std::move(r));
  }
}

bool is_json_object_text(const std::string& text) {
  rapidjson::Document d;
  d.Parse<rapidjson::kParseIterativeFlag>(text.data(), text.size());
  return !d.HasParseError() && d.IsObject();
}

std::string out_id_of(Call& call) {
  const std::string* v = find_field(call.params, "OutId");
  return v ? *v : std::string();
}

SendOutcome missing(Call& call, std::string_view name, bool with_success = false) {
  call.store.counters().reject_call(gwsim::reason::missing_field);
  return error(200, "isv.INVALID_PARAMETERS", "missing parameter " + std::string(name), call.request_id,
               with_success);
}

SendOutcome invalid(Call& call, std::string message, bool with_success = false) {
  call.store.counters().reject_call(aliyun_reason::bad_parameter);
  return error(200, "isv.INVALID_PARAMETERS", message, call.request_id, with_success);
}

// A JSON array of strings, or nullopt.
std::optional<std::vector<std::string>> string_array(const std::string& text) {
  rapidjson::Document d;
  d.Parse<rapidjson::kParseIterativeFlag>(text.data(), text.size());
  if (d.HasParseError() || !d.IsArray()) return std::nullopt;
  std::vector<std::string> out;
  for (const auto& v : d.GetArray()) {
    if (!v.IsString()) return std::nullopt;
    out.emplace_back(v.GetString(), v.GetStringLength());
  }
  return out;
}

void note_batch_size(Call& call, std::size_t n) {
  auto& seen = call.store.counters().max_batch_seen;
  if (n > seen) seen = n;
}

}  // namespace

SendOutcome send_sms(Call& call) {
  for (const char* name : {"PhoneNumbers", "SignName", "TemplateCode"})
    if (!param(call.params, name)) return missing(call, name);
  Send s;
  std::string_view list = *param(call.params, "PhoneNumbers");
  while (true) {
    const auto comma = list.find(',');
    s.phones.emplace_back(list.substr(0, comma));
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  if (s.phones.size() > 1000) return invalid(call, "PhoneNumbers has more than 1000 numbers");
  note_batch_size(call, s.phones.size());
  s.sign_names.assign(s.phones.size(), *param(call.params, "SignName"));
  s.template_code = *param(call.params, "TemplateCode");
  s.out_id = out_id_of(call);
  if (const std::string* tp = param(call.params, "TemplateParam"); tp && !is_json_object_text(*tp))
    return invalid(call, "TemplateParam is not a JSON object");
  if (auto refused = check(call, s, false)) return std::move(*refused);

  const std::string id = biz_id(call.ids);
  accept(call, s, std::vector<std::string>(s.phones.size(), id), false, std::vector<std::string>(s.phones.size()),
         std::vector<bool>(s.phones.size(), true));
  return ok_answer(call, id, s.phones.size());
}

SendOutcome send_batch_sms(Call& call) {
  for (const char* name : {"PhoneNumberJson", "SignNameJson", "TemplateCode"})
    if (!param(call.params, name)) return missing(call, name);
  Send s;
  auto phones = string_array(*param(call.params, "PhoneNumberJson"));
  if (!phones) return invalid(call, "PhoneNumberJson is not a JSON array of strings");
  auto names = string_array(*param(call.params, "SignNameJson"));
  if (!names) return invalid(call, "SignNameJson is not a JSON array of strings");
  const std::size_t n = phones->size();
  note_batch_size(call, n);
  if (n == 0) return invalid(call, "PhoneNumberJson is empty");
  if (n > aliyun_max_batch)
    return invalid(call, "PhoneNumberJson has " + std::to_string(n) + " numbers, at most " +
                             std::to_string(aliyun_max_batch));
  if (names->size() != n) return invalid(call, "SignNameJson and PhoneNumberJson differ in length");
  if (const std::string* tp = param(call.params, "TemplateParamJson")) {
    rapidjson::Document d;
    d.Parse<rapidjson::kParseIterativeFlag>(tp->data(), tp->size());
    if (d.HasParseError() || !d.IsArray() || d.Size() != n)
      return invalid(call, "TemplateParamJson is not a JSON array as long as PhoneNumberJson");
    for (const auto& v : d.GetArray())
      if (!v.IsObject()) return invalid(call, "TemplateParamJson has an element that is not an object");
  }
  if (const std::string* ext = param(call.params, "SmsUpExtendCodeJson")) {
    auto codes = string_array(*ext);
    if (!codes || codes->size() != n)
      return invalid(call, "SmsUpExtendCodeJson is not a JSON array of strings as long as PhoneNumberJson");
  }
  s.phones = std::move(*phones);
  s.sign_names = std::move(*names);
  s.template_code = *param(call.params, "TemplateCode");
  s.out_id = out_id_of(call);
  if (auto refused = check(call, s, false)) return std::move(*refused);

  const std::string id = biz_id(call.ids);
  accept(call, s, std::vector<std::string>(n, id), false, std::vector<std::string>(n), std::vector<bool>(n, true));
  return ok_answer(call, id, n);
}

SendOutcome send_card_sms(Call& call) {
  for (const char* name : {"CardObjects", "CardTemplateCode", "SignName"})
    if (!param(call.params, name)) return missing(call, name, true);
  const std::string* fallback_param = param(call.params, "FallbackType");
  const std::string fallback = fallback_param ? *fallback_param : "NONE";
  if (fallback != "SMS" && fallback != "DIGITALSMS" && fallback != "NONE")
    return invalid(call, "FallbackType must be SMS, DIGITALSMS or NONE", true);
  const char* fallback_code_name = fallback == "SMS" ? "SmsTemplateCode" : "DigitalTemplateCode";
  const char* fallback_param_name = fallback == "SMS" ? "SmsTemplateParam" : "DigitalTemplateParam";
  if (fallback != "NONE") {
    if (!param(call.params, fallback_code_name)) return missing(call, fallback_code_name, true);
    if (const std::string* p = param(call.params, fallback_param_name); p && !is_json_object_text(*p))
      return invalid(call, std::string(fallback_param_name) + " is not a JSON object", true);
  }

  rapidjson::Document objects;
  const std::string& text = *param(call.params, "CardObjects");
  objects.Parse<rapidjson::kParseIterativeFlag>(text.data(), text.size());
  if (objects.HasParseError() || !objects.IsArray()) return invalid(call, "CardObjects is not a JSON array", true);
  const std::size_t n = objects.Size();
  note_batch_size(call, n);
  if (n == 0 || n > aliyun_max_batch)
    return invalid(call, "CardObjects has " + std::to_string(n) + " objects, 1 to " + std::to_string(aliyun_max_batch),
                   true);
  Send s;
  for (const auto& o : objects.GetArray()) {
    if (!o.IsObject()) return invalid(call, "a CardObjects element is not an object", true);
    const auto mobile = o.FindMember("mobile");
    if (mobile == o.MemberEnd() || !mobile->value.IsString())
      return invalid(call, "a CardObjects element has no mobile", true);
    // dyncParams: an object, or a string holding one (Alibaba Cloud's samples show both).
    if (const auto p = o.FindMember("dyncParams"); p != o.MemberEnd() && !p->value.IsNull()) {
      const bool ok = p->value.IsObject() ||
                      (p->value.IsString() && is_json_object_text({p->value.GetString(), p->value.GetStringLength()}));
      if (!ok) return invalid(call, "dyncParams is neither an object nor a string holding one", true);
    }
    for (const char* name : {"customUrl", "customShortCodeJson"})
      if (const auto f = o.FindMember(name); f != o.MemberEnd() && !f->value.IsNull() && !f->value.IsString())
        return invalid(call, std::string(name) + " must be a string", true);
    s.phones.emplace_back(mobile->value.GetString(), mobile->value.GetStringLength());
  }
  s.sign_names.assign(n, *param(call.params, "SignName"));
  s.template_code = *param(call.params, "CardTemplateCode");
  s.out_id = out_id_of(call);
  if (fallback != "NONE" && param(call.params, fallback_code_name)->starts_with("BAD_"))
    return refuse(call, n, gwsim::reason::template_not_found, "isv.SMS_TEMPLATE_ILLEGAL", "该账号下找不到对应模板", true);
  if (auto refused = check(call, s, true)) return std::move(*refused);

  // Numbers that cannot show a card get the fallback, or nothing with NONE.
  std::string card_id, sms_id, digital_id, media, not_media;
  std::vector<std::string> ids_per_number(n), receive_types(n);
  std::vector<bool> delivered(n, true);
  for (std::size_t i = 0; i < n; ++i) {
    std::string& list = aliyun_supports_card(s.phones[i]) ? media : not_media;
    if (!list.empty()) list += ',';
    list += s.phones[i];
    if (aliyun_supports_card(s.phones[i])) {
      if (card_id.empty()) card_id = biz_id(call.ids);
      ids_per_number[i] = card_id;
      receive_types[i] = "CARD_SMS";
    } else if (fallback == "SMS") {
      if (sms_id.empty()) sms_id = biz_id(call.ids);
      ids_per_number[i] = sms_id;
      receive_types[i] = "SMS";
    } else if (fallback == "DIGITALSMS") {
      if (digital_id.empty()) digital_id = biz_id(call.ids);
      ids_per_number[i] = digital_id;
      receive_types[i] = "DIGITAL_SMS";
    } else {
      delivered[i] = false;
    }
  }
  accept(call, s, ids_per_number, true, receive_types, delivered);

  rapidjson::StringBuffer sb;
  Writer w(sb);
  w.StartObject();
  key(w, "RequestId");
  put(w, call.request_id);
  key(w, "Code");
  put(w, "OK");
  key(w, "Success");
  w.Bool(true);
  key(w, "Data");
  w.StartObject();
  key(w, "BizCardId");
  put(w, card_id);
  key(w, "BizSmsId");
  put(w, sms_id);
  key(w, "BizDigitalId");
  put(w, digital_id);
  key(w, "MediaMobiles");
  put(w, media);
  key(w, "NotMediaMobiles");
  put(w, not_media);
  key(w, "CardTmpState");
  w.Int(1);
  w.EndObject();
  w.EndObject();
  SendOutcome out;
  out.body.assign(sb.GetString(), sb.GetSize());
  for (bool d : delivered) (d ? out.items_accepted : out.items_rejected) += 1;
  return out;
}

}  // namespace gwsim::aliyun
