// libFuzzer target: the configuration from its text (config::parse_config), with an environment
// that has one variable set. It throws config_error for every problem; nothing else may escape.
#include "fuzz/fuzz_support.hpp"
#include "herald/config/load.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace herald;
  auto getenv = [](const char* name) -> const char* {
    return std::string_view(name) == "HERALD_FUZZ_SECRET" ? "not-a-real-secret" : nullptr;
  };
  try {
    (void)config::parse_config({reinterpret_cast<const char*>(data), size}, getenv);
  } catch (const config::config_error&) {
  }
  return 0;
}
