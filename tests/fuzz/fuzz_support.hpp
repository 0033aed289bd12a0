#pragma once
// Shared by the libFuzzer targets (docs/testing.md). Each target is one parser of bytes Herald
// does not control; these helpers split a fuzzer's input into the few choices a target makes
// and the bytes it parses.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace herald::fuzz {

// Reads choices off the front of the input; what is left is the text to parse.
class input {
 public:
  input(const std::uint8_t* data, std::size_t size) : p_(reinterpret_cast<const char*>(data)), n_(size) {}

  // The next byte, or 0 once the input is used up.
  std::uint8_t byte() {
    if (n_ == 0) return 0;
    --n_;
    return static_cast<std::uint8_t>(*p_++);
  }
  std::string_view rest() const { return {p_, n_}; }

 private:
  const char* p_;
  std::size_t n_;
};

// A broken invariant: abort, so that libFuzzer keeps the input as a crash.
[[noreturn]] inline void fail(const char* what) {
  std::fprintf(stderr, "fuzz invariant broken: %s\n", what);
  std::abort();
}

}  // namespace herald::fuzz
