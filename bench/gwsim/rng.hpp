// Small deterministic PRNG (splitmix64) for fault decisions and generated ids.
#pragma once

#include <cstdint>
#include <string>

namespace gwsim {

class Rng {
 public:
  explicit Rng(std::uint64_t seed) : state_(seed) {}

  std::uint64_t next() {
    std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }

  // Uniform in [0, 1).
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

  // True with probability p (p <= 0 never, p >= 1 always).
  bool chance(double p) { return p > 0 && (p >= 1 || uniform() < p); }

  // `n` characters from `alphabet` (size must be < 256).
  std::string token(std::size_t n, const char* alphabet, std::size_t alphabet_size) {
    std::string out(n, '0');
    std::uint64_t bits = next();
    int left = 8;
    for (auto& c : out) {
      if (left == 0) {
        bits = next();
        left = 8;
      }
      c = alphabet[(bits & 0xFF) % alphabet_size];
      bits >>= 8;
      --left;
    }
    return out;
  }

  std::string digits(std::size_t n) { return token(n, "0123456789", 10); }
  std::string hex(std::size_t n) { return token(n, "0123456789abcdef", 16); }
  std::string alnum(std::size_t n) {
    return token(n, "0123456789abcdefghijklmnopqrstuvwxyz", 36);
  }

 private:
  std::uint64_t state_;
};

}  // namespace gwsim
