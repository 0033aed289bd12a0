#pragma once
// What Alibaba Cloud SMS's two gateway kinds (aliyun_sms, aliyun_card) share: the RPC request with
// its common parameters, the OutId Herald puts in a call, and the classification of the answer's
// Code. docs/gateways.md "Alibaba Cloud SMS".
#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "herald/gateway/gateway.hpp"
#include "herald/gateway/signers.hpp"  // sign_param

namespace herald::gateway {

inline constexpr std::string_view aliyun_api_version = "2017-05-25";
inline constexpr std::size_t aliyun_max_batch = 100;    // SendBatchSms numbers per call (docs/gateways.md)
inline constexpr std::size_t aliyun_out_id_max = 256;   // OutId characters (docs/gateways.md, SendSms)

struct aliyun_credentials {
  std::string access_key_id;      // the account's app_id
  std::string access_key_secret;  // the account's app_secret; only the signer reads it
  std::string region_id;          // e.g. cn-hangzhou
};

// Reads the credentials of an aliyun_sms / aliyun_card account; throws std::invalid_argument
// naming the account when one it needs is empty (`kind` names the gateway in the message).
aliyun_credentials aliyun_credentials_from(const config::account_config& account, std::string_view kind);

// One signed RPC call: the common parameters (Action, Version=2017-05-25, Format=JSON,
// AccessKeyId, SignatureMethod=HMAC-SHA1, SignatureVersion=1.0, SignatureNonce = ctx.nonce,
// Timestamp = ctx.unix_seconds as yyyy-MM-ddTHH:mm:ssZ, RegionId) plus action_params, signed with
// method POST; the body is the canonical query (already form-encoded) + "&Signature=...".
// Empty-valued action params are sent as they are: leave out what is optional and unset.
http_request build_aliyun_rpc_request(std::string_view target, const aliyun_credentials& credentials,
                                      std::string_view action, std::span<const sign_param> action_params,
                                      const send_context& ctx);

// The OutId for one event: its idempotency key (event_id) when it fits in 256 characters, else
// "h:" + the SHA-256 hex of it. The receipt check matches records on this value.
std::string aliyun_event_out_id(const model::event& e);

// The OutId of a call: for one item, aliyun_event_out_id of it; for several (SendBatchSms,
// SendCardSms), "b:" + the first 32 hex digits of SHA-256 over the items' event_ids in call
// order, each followed by '\n'. Deterministic, so the receipt check of an ambiguous call can
// recompute it from the same items.
std::string aliyun_call_out_id(std::span<const model::event* const> items);

// The classification table of Alibaba Cloud's answer codes (docs/gateways.md "Alibaba Cloud SMS"
// lists the same rows). "OK" is sent; a code no row matches is ambiguous.
outcome_class classify_aliyun_code(std::string_view code) noexcept;

// Alibaba Cloud's Message as safe to record: SignatureDoesNotMatch answers echo the server's
// string to sign, which holds every parameter (phone numbers included); that part is cut off.
std::string aliyun_safe_message(std::string_view message);

// The yyyyMMdd day (China time, UTC+8, as Alibaba Cloud dates sends) of a Unix time: the
// SendDate of a receipt query.
std::string aliyun_send_date(std::int64_t unix_seconds);

}  // namespace herald::gateway
