// POST /router/rest, method taobao.jst.sms.oaid.message.send — the Taobao Open Platform (TOP) OAID
// SMS API (docs/gateways.md "TOP OAID send"), as a pure function of the request, the configuration,
// the store and the clock. One message per call.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "fw199_taobao.hpp"  // SecretTable, SendConfig, SendOutcome
#include "rng.hpp"
#include "store.hpp"

namespace gwsim {

inline constexpr std::string_view top_path = "/router/rest";
inline constexpr std::string_view top_method = "taobao.jst.sms.oaid.message.send";
inline constexpr std::string_view top_param = "param_send_message_by_o_a_i_d_request";

// TOP's platform error codes (its public error list) and the one business code used here.
namespace top_code {
inline constexpr int app_call_limited = 7;      // the app's call rate; the per-account cap
inline constexpr int remote_service_error = 15;  // with an isv.* sub_code: the business refused
inline constexpr int missing_method = 21;
inline constexpr int invalid_method = 22;
inline constexpr int invalid_format = 23;
inline constexpr int missing_signature = 24;
inline constexpr int invalid_signature = 25;
inline constexpr int missing_session = 26;
inline constexpr int missing_app_key = 28;
inline constexpr int invalid_app_key = 29;
inline constexpr int missing_timestamp = 30;
inline constexpr int invalid_timestamp = 31;
inline constexpr int missing_version = 32;
inline constexpr int unsupported_version = 34;
inline constexpr int missing_arguments = 40;
inline constexpr int invalid_arguments = 41;
}  // namespace top_code

// Reasons of /_sim/stats that only TOP calls use (the others are in store.hpp).
namespace top_reason {
inline constexpr std::string_view invalid_method = "invalid_method";  // method missing is missing_field
inline constexpr std::string_view bad_parameter = "bad_parameter";    // v, format or sign_method unsupported
}  // namespace top_reason

// TOP's flow-control answer, which docs/gateways.md classifies as throttled by
// its code (7) and by its sub_code (accesscontrol.limited-by-*) alike.
inline constexpr std::string_view top_throttled_msg = "App Call Limited";
inline constexpr std::string_view top_throttled_sub_code = "accesscontrol.limited-by-api-access-count";
inline constexpr std::string_view top_throttled_sub_msg = "This ban will last for 1 more seconds";

inline constexpr std::string_view top_daily_limit_message = "当前号码的短信发送次数超过当天限制";

// "yyyy-MM-dd HH:mm:ss" read as UTC+8 (TOP's timestamp) → Unix seconds; nullopt unless exactly
// that shape with a real date and time.
std::optional<std::int64_t> parse_top_timestamp(std::string_view text);

// Validates and processes one call. Parameters are read from the form body only (TOP also reads
// the query string, where its SDKs put the system parameters; Herald sends everything in the
// body, and the simulator ignores the query). App keys and secrets come from config.secrets
// (the --app-secret table). An accepted message is recorded in `store` under (app_key, session,
// order_id, template_code, oaid); rejections and max_batch_seen are counted in store.counters()
// (`requests` is not: the caller counts calls). SendOutcome::code is the error_response code, 0
// for success.
SendOutcome handle_top_send(std::string_view content_type, std::string_view body,
                            const SendConfig& config, Store& store, std::int64_t now_unix, Rng& ids);

// The answer to a call the per-account cap refused: HTTP 200,
// {"error_response":{"code":7,"msg":"App Call Limited","sub_code":"accesscontrol.limited-by-api-access-count",
// "sub_msg":"This ban will last for 1 more seconds","request_id"}}. Counts nothing.
SendOutcome top_throttled_answer(Rng& ids);

}  // namespace gwsim
