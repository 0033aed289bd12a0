// Pieces shared by the Alibaba Cloud endpoint's files (aliyun_rpc.cpp, aliyun_send.cpp,
// aliyun_query.cpp); not used elsewhere.
#pragma once

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "aliyun_rpc.hpp"
#include "form.hpp"

namespace gwsim::aliyun {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

inline void put(Writer& w, std::string_view s) { w.String(s.data(), static_cast<rapidjson::SizeType>(s.size())); }
inline void key(Writer& w, std::string_view s) { w.Key(s.data(), static_cast<rapidjson::SizeType>(s.size())); }

// A verified call, handed to the action's handler.
struct Call {
  const Form& params;
  std::string_view access_key;
  std::int64_t now;
  const SendConfig& config;
  AliyunState& state;
  Store& store;
  Rng& ids;
  std::string request_id;
  std::int64_t now_ms;  // Unix ms, for receipt timing
};

// A parameter's value, nullptr when absent or empty (Alibaba Cloud treats both as missing).
const std::string* param(const Form& params, std::string_view name);

// {"RequestId","Code","Message"} (+ "Success":false when `with_success`) with `http_status`.
SendOutcome error(unsigned http_status, std::string_view code, std::string_view message,
                  const std::string& request_id, bool with_success = false);

// The reason counted in /_sim/stats for a rejected call or item.
namespace aliyun_reason {
inline constexpr std::string_view nonce_used = "nonce_used";
inline constexpr std::string_view bad_action = "bad_action";
inline constexpr std::string_view bad_parameter = "bad_parameter";
inline constexpr std::string_view mobile_illegal = "mobile_illegal";
inline constexpr std::string_view signature_name_illegal = "signature_name_illegal";
}  // namespace aliyun_reason

// yyyyMMdd and yyyy-MM-dd HH:mm:ss at UTC+8 (Alibaba Cloud's dates are China time).
std::string china_day_text(std::int64_t unix_seconds);
std::string china_time_text(std::int64_t unix_seconds);

SendOutcome send_sms(Call& call);
SendOutcome send_batch_sms(Call& call);
SendOutcome send_card_sms(Call& call);
SendOutcome query_send_details(Call& call);
SendOutcome get_card_sms_details(Call& call);

}  // namespace gwsim::aliyun
