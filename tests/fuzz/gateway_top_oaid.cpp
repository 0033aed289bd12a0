// libFuzzer target: the top_oaid gateway's send and receipt answers (fuzz/gateway_fuzz.hpp).
#include "fuzz/gateway_fuzz.hpp"
#include "unit/gateway/top_test_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace herald;
  static const std::unique_ptr<gateway::gateway> gw = gateway::make_gateway(gateway::test::top_account());
  static const model::event sample = gateway::test::top_event();
  fuzz::input in(data, size);
  fuzz::fuzz_gateway(*gw, sample, in);
  return 0;
}
