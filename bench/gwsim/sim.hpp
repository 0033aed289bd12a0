// Request routing, fault injection and the /_sim admin endpoints, independent of the network
// (server.cpp turns a Reply into bytes on the wire).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "aliyun_rpc.hpp"
#include "fw199_douyin.hpp"
#include "fw199_taobao.hpp"
#include "rate_window.hpp"
#include "rng.hpp"
#include "store.hpp"

namespace gwsim {

struct FaultSettings {
  double p_5xx = 0;          // answer 503, accept nothing
  double p_reset = 0;        // close the connection (RST) without answering, accept nothing
  double p_slow = 0;         // answer `slow_ms` later (processed normally)
  double p_drop_answer = 0;  // process and record, then never answer
  std::uint32_t slow_ms = 1000;
  std::uint32_t latency_ms = 0;  // added before every send answer
  // Send calls admitted per account in any sliding second; more are refused with the gateway's
  // own throttle answer, before faults. 0 = no cap. (A setting of /_sim/faults like the others.)
  std::uint32_t rate_limit_qps = 0;
};

struct SimConfig {
  SecretTable secrets;
  std::uint32_t daily_limit = 10;
  std::uint32_t receipt_hide_ms = 0;   // receipts absent from queries this long after acceptance
  std::uint32_t receipt_delay_ms = 0;  // then waiting (status 1) until this long after acceptance
  bool douyin_shuffle_answers = false;  // SendConfig::douyin_shuffle_answers
  FaultSettings faults;
  std::uint64_t seed = 1;
};

enum class Action {
  respond,  // write `status` + `body` after `delay`
  reset,    // abort the TCP connection, no answer
  drop,     // never answer; keep the connection open until the peer closes it
};

struct Reply {
  Action action = Action::respond;
  unsigned status = 200;
  std::string body;  // JSON
  std::chrono::milliseconds delay{0};
};

inline constexpr std::string_view send_path = "/jst/sms/oaid/send";

class Simulator {
 public:
  explicit Simulator(SimConfig config);
  Simulator(const Simulator&) = delete;
  Simulator& operator=(const Simulator&) = delete;

  // One HTTP request. `target` may carry a query string (ignored). `now_ms` (default
  // now_unix * 1000) is the same clock in milliseconds, for receipt timing. `steady_ms` (default
  // now_ms) is when the request arrived on a monotonic clock, for the per-account rate windows:
  // the wall clock can jump, and a jump must not open or close a window.
  Reply handle(std::string_view method, std::string_view target, std::string_view content_type,
               std::string_view body, std::int64_t now_unix, std::int64_t now_ms = -1,
               std::int64_t steady_ms = -1);

  Store& store() { return store_; }
  AliyunState& aliyun() { return aliyun_; }
  const FaultSettings& faults() const { return faults_; }
  std::uint32_t daily_limit() const { return send_config_.daily_limit; }
  std::uint32_t receipt_hide_ms() const { return send_config_.receipt_hide_ms; }
  std::uint32_t receipt_delay_ms() const { return send_config_.receipt_delay_ms; }
  bool douyin_shuffle_answers() const { return send_config_.douyin_shuffle_answers; }

  // The current fault settings as the JSON that POST /_sim/faults accepts.
  std::string settings_json() const;
  // Applies a POST /_sim/faults body (all-or-nothing). Returns an error message on failure.
  std::optional<std::string> apply_settings(std::string_view json);

 private:
  // One send call of any endpoint: the per-account cap first, then faults, then `handler` (the
  // endpoint's own checks). `account` is the account the call names, nullopt when it names none
  // the secret table knows (then it is neither counted in a rate window nor capped); `throttled`
  // makes the gateway's own answer to a call the cap refuses. (std::function: the Alibaba Cloud
  // endpoint's handler also carries its method, query string and nonce/receipt state.)
  using SendHandler = std::function<SendOutcome(std::string_view content_type, std::string_view body,
                                                const SendConfig& config, Store& store,
                                                std::int64_t now_unix, Rng& ids)>;
  using ThrottleAnswer = std::function<SendOutcome(Rng& ids)>;
  struct Sender {
    std::optional<std::string> account;
    ThrottleAnswer throttled;
  };
  Reply handle_send(SendHandler handler, std::string_view content_type, std::string_view body,
                    std::int64_t now_unix, std::int64_t steady_ms, Sender sender);
  // `account` when the secret table knows it (the cap counts configured accounts only: an unknown
  // one is refused as unknown, and the windows cannot grow with made-up names).
  std::optional<std::string> known(std::optional<std::string> account) const;

  SecretTable secrets_;
  SendConfig send_config_;
  FaultSettings faults_;
  Store store_;
  Rng fault_rng_;
  Rng id_rng_;
  RateWindow rate_;     // send-call arrivals per account: the cap and max_calls_per_second
  AliyunState aliyun_;  // Alibaba Cloud nonces and receipts (aliyun_rpc.hpp)
};

}  // namespace gwsim
