// libFuzzer target: the aliyun_sms gateway's send and receipt answers (fuzz/gateway_fuzz.hpp).
#include "fuzz/gateway_fuzz.hpp"
#include "unit/gateway/aliyun_test_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace herald;
  static const std::unique_ptr<gateway::gateway> gw = gateway::make_gateway(gateway::test::aliyun_account());
  static const model::event sample = gateway::test::aliyun_event("ev-1", "13800138000");
  fuzz::input in(data, size);
  fuzz::fuzz_gateway(*gw, sample, in);
  return 0;
}
