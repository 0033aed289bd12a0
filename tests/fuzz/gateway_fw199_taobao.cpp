// libFuzzer target: the fw199_taobao gateway's send and receipt answers (fuzz/gateway_fuzz.hpp).
#include "fuzz/gateway_fuzz.hpp"
#include "unit/gateway/test_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace herald;
  static const std::unique_ptr<gateway::gateway> gw = gateway::make_gateway(gateway::test::fw199_account());
  static const model::event sample = gateway::test::fw199_event("3006925020239565830", "AAHk5d-oaid");
  fuzz::input in(data, size);
  fuzz::fuzz_gateway(*gw, sample, in);
  return 0;
}
