// Alibaba Cloud SMS (dysmsapi 2017-05-25, RPC style) on POST / : SendSms, SendBatchSms,
// SendCardSms, QuerySendDetails, GetCardSmsDetails, as a pure function of the request, the
// configuration, the store and the clock. See bench/gwsim/README.md, "Alibaba Cloud SMS".
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "fw199_taobao.hpp"  // SendConfig, SendOutcome, SecretTable
#include "rng.hpp"
#include "store.hpp"

namespace gwsim {

inline constexpr std::string_view aliyun_path = "/";
inline constexpr std::int64_t aliyun_max_clock_skew = 15 * 60;  // Timestamp vs the sim's clock
inline constexpr std::size_t aliyun_max_batch = 100;             // numbers per SendBatchSms / SendCardSms

// One number of an accepted send, as the receipt queries answer it (always delivered, status 3,
// except card SMS to a number without card support and no fallback: failed, status 2), after
// SendConfig::receipt_hide_ms / receipt_delay_ms from accepted_at_ms (README "Receipts").
struct AliyunReceipt {
  std::string access_key;
  bool is_card = false;      // SendCardSms (GetCardSmsDetails) or SendSms/SendBatchSms (QuerySendDetails)
  std::string biz_id;        // BizId, or the card call's BizCardId / BizSmsId / BizDigitalId this number got
  std::string out_id;
  std::string phone;
  std::string template_code;
  std::string send_day;      // yyyyMMdd, UTC+8
  std::string send_time;     // yyyy-MM-dd HH:mm:ss, UTC+8
  std::string receive_type;  // card: CARD_SMS, SMS, DIGITAL_SMS
  int status = 3;
  std::string err_code = "DELIVERED";
  std::int64_t accepted_at_ms = 0;  // Unix ms
};

// What the Alibaba Cloud endpoint remembers besides the shared Store: the nonces seen (per
// AccessKeyId, for the Timestamp window) and the receipts.
class AliyunState {
 public:
  // Records the nonce; false when this AccessKeyId used it within the last `window` seconds.
  bool use_nonce(std::string_view access_key, std::string_view nonce, std::int64_t now, std::int64_t window);
  void add_receipt(AliyunReceipt r) { receipts_.push_back(std::move(r)); }
  const std::deque<AliyunReceipt>& receipts() const { return receipts_; }
  void reset();

 private:
  std::unordered_map<std::string, std::int64_t> nonces_;  // access_key '\n' nonce -> first seen
  std::deque<std::pair<std::int64_t, std::string>> nonce_order_;
  std::deque<AliyunReceipt> receipts_;
};

// One call. `method` is GET or POST (the string to sign uses it); parameters come from the query
// string and, for POST, the form body. The answer's HTTP status is outcome.http_status. `now_ms`
// (default now_unix * 1000) times receipts: their acceptance, and what a query reports.
SendOutcome handle_aliyun_rpc(std::string_view method, std::string_view query,
                              std::string_view content_type, std::string_view body,
                              const SendConfig& config, AliyunState& state, Store& store,
                              std::int64_t now_unix, Rng& ids, std::int64_t now_ms = -1);

// Who sent an Alibaba Cloud send call, for the per-account cap (--rate-limit-qps).
struct AliyunSender {
  std::string access_key;
  bool card = false;  // SendCardSms, whose errors also carry "Success":false
};

// The AccessKeyId a SendSms / SendBatchSms / SendCardSms call names (the query string first,
// then a POST body), read without the full parse and without checking anything else; nullopt for
// the receipt queries (not send calls), any other Action, and a call that names no AccessKeyId.
std::optional<AliyunSender> aliyun_sender(std::string_view method, std::string_view query,
                                          std::string_view body);

// The answer to a send call the per-account cap refused: HTTP 400,
// {"RequestId","Code":"Throttling.User","Message":"Request was denied due to user flow control."}
// (+ "Success":false for a card call), Alibaba Cloud's own user flow-control answer. Counts
// nothing, and uses no nonce: the call was not processed.
SendOutcome aliyun_throttled_answer(bool card, Rng& ids);

// Exposed for tests.
// A mainland mobile number (11 digits starting with 1), or "+" / "00" and 8 to 15 digits.
bool aliyun_phone_is_valid(std::string_view phone);
// "yyyy-MM-ddTHH:mm:ssZ" to Unix seconds.
std::optional<std::int64_t> parse_aliyun_timestamp(std::string_view text);
// Numbers ending in 0 cannot show card SMS (the simulator's rule, README).
bool aliyun_supports_card(std::string_view phone);

}  // namespace gwsim
