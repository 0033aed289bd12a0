// The derived idempotency key, the recipient kinds' names and which gateway takes which
// (docs/events.md).
#include "herald/model/event.hpp"
#include "herald/util/crypto.hpp"

namespace herald::model {

std::string_view to_string(recipient_kind k) {
  switch (k) {
    case recipient_kind::oaid: return "oaid";
    case recipient_kind::post_tel: return "post_tel";
    case recipient_kind::phone: return "phone";
    case recipient_kind::by_order: return "by_order";
  }
  return "?";
}

std::optional<recipient_kind> parse_recipient_kind(std::string_view key) {
  if (key == "oaid") return recipient_kind::oaid;
  if (key == "post_tel") return recipient_kind::post_tel;
  if (key == "phone") return recipient_kind::phone;
  if (key == "by_order") return recipient_kind::by_order;
  return std::nullopt;
}

recipient_kind recipient_kind_for(config::gateway_kind gateway) {
  switch (gateway) {
    case config::gateway_kind::fw199_taobao:
    case config::gateway_kind::top_oaid: return recipient_kind::oaid;
    case config::gateway_kind::fw199_douyin: return recipient_kind::post_tel;
    case config::gateway_kind::aliyun_sms:
    case config::gateway_kind::aliyun_card: return recipient_kind::phone;
  }
  return recipient_kind::oaid;
}

bool accepts_recipient(config::gateway_kind gateway, recipient_kind kind) {
  switch (gateway) {
    case config::gateway_kind::fw199_taobao:
    case config::gateway_kind::top_oaid: return kind == recipient_kind::oaid;
    // 抖店 sms_message_list items address by post_tel (biz_type 0) or by order_id (biz_type 1).
    case config::gateway_kind::fw199_douyin: return kind == recipient_kind::post_tel || kind == recipient_kind::by_order;
    case config::gateway_kind::aliyun_sms:
    case config::gateway_kind::aliyun_card: return kind == recipient_kind::phone;
  }
  return false;
}

// "d:" + hex of the first 16 bytes of HMAC-SHA256 (with the recipient hash key) over account,
// order_id, template_code, recipient kind and recipient value joined by 0x1f (unit separator, which none of them may contain:
// decode_event rejects control characters). A by_order recipient has an empty value: the order
// (already in the key) is the recipient. Not over params or sign_name: the same template to
// the same person about the same order is the same notification, even if an amount was edited.
// Changing this rule, or the key, changes every derived key: a replay across the change would
// resend (docs/ledger.md, "Recipient hashes").
std::string derive_event_id(const event& e, const crypto::hmac_sha256_key& recipient_key) {
  crypto::hmac_sha256 mac(recipient_key);
  for (std::string_view part : {std::string_view(e.account), std::string_view(e.order_id),
                                std::string_view(e.template_code), to_string(e.to.kind)}) {
    mac.update(part).update("\x1f");
  }
  mac.update(e.to.value);
  const auto digest = mac.finish();
  std::string id = "d:";
  id += crypto::to_hex(std::string_view(reinterpret_cast<const char*>(digest.data()), 16));
  return id;
}

}  // namespace herald::model
