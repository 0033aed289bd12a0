// libFuzzer target: the fw199 抖店 gateway's send and receipt answers (fuzz/gateway_fuzz.hpp), and
// its send-result query's answer by itself, which must give one result per asked id.
#include "fuzz/gateway_fuzz.hpp"
#include "herald/gateway/fw199_douyin.hpp"
#include "unit/gateway/fw199_douyin_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace herald;
  static const config::account_config account = [] {
    config::account_config a = gateway::test::douyin_account();
    a.receipt_endpoint = a.endpoint;  // so that receipt queries are made at all
    return a;
  }();
  static const std::unique_ptr<gateway::gateway> gw = gateway::make_gateway(account);
  static const model::event sample = gateway::test::douyin_event("6919486238474557070", "13800138000");
  fuzz::input in(data, size);
  const std::uint8_t mode = in.byte();
  if (mode % 4 != 3) {
    fuzz::fuzz_gateway(*gw, sample, in);
    return 0;
  }
  const int status = fuzz::http_status_of(in.byte());
  static const std::vector<std::string> ids = {"msg-1", "msg-2", "msg-3"};
  const std::size_t n = 1 + in.byte() % ids.size();
  auto r = gateway::parse_douyin_result_query(status, in.rest(), std::span(ids.data(), n));
  if (r && r->size() != n) fuzz::fail("a send-result answer's results are not one per asked id");
  return 0;
}
