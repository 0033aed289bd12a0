// libFuzzer target: decoding a retry envelope (flow::decode_retry_envelope), as consumed from the
// retry and delay topics. Beyond "no crash": an envelope that decodes encodes again, and that text
// decodes to the same envelope (what the worker does when it parks an event once more).
#include "fuzz/fuzz_support.hpp"
#include "herald/flow/retry_envelope.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace herald;
  auto decoded = flow::decode_retry_envelope({reinterpret_cast<const char*>(data), size});
  if (!decoded) return 0;
  auto encoded = flow::encode_retry_envelope(*decoded);
  if (!encoded) fuzz::fail("a decoded envelope does not encode again");
  auto again = flow::decode_retry_envelope(*encoded);
  if (!again) fuzz::fail("an encoded envelope does not decode");
  if (!(*again == *decoded)) fuzz::fail("an envelope changed on its way through encode and decode");
  return 0;
}
