// The keyed recipient hash's primitive: RFC 4231's HMAC-SHA256 test vectors, row by row.
#include <doctest/doctest.h>

#include <string>

#include "herald/util/crypto.hpp"
#include "herald/util/hmac_sha256.hpp"

using namespace herald;

namespace {

std::string hex_of(const crypto::sha256_digest& d) {
  return crypto::to_hex(std::string_view(reinterpret_cast<const char*>(d.data()), d.size()));
}

std::string bytes(std::size_t n, char c) { return std::string(n, c); }

struct vector_case {
  const char* name;
  std::string key;
  std::string data;
  const char* mac_hex;  // RFC 4231 section 4 (case 5 gives only the first 128 bits)
};

std::string key_0x01_to_0x19() {
  std::string k;
  for (int i = 1; i <= 0x19; ++i) k.push_back(static_cast<char>(i));
  return k;
}

}  // namespace

TEST_CASE("HMAC-SHA256 with precomputed key states matches RFC 4231") {
  const vector_case cases[] = {
      {"test case 1", bytes(20, '\x0b'), "Hi There",
       "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"},
      {"test case 2: a key shorter than the output", "Jefe", "what do ya want for nothing?",
       "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
      {"test case 3: 50 bytes of data", bytes(20, '\xaa'), bytes(50, '\xdd'),
       "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"},
      {"test case 4: a 25-byte key", key_0x01_to_0x19(), bytes(50, '\xcd'),
       "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"},
      {"test case 5: truncation (first 128 bits)", bytes(20, '\x0c'), "Test With Truncation",
       "a3b6167473100ee06e0c796c2955552b"},
      {"test case 6: a key longer than the block is hashed first", bytes(131, '\xaa'),
       "Test Using Larger Than Block-Size Key - Hash Key First",
       "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"},
      {"test case 7: key and data longer than the block", bytes(131, '\xaa'),
       "This is a test using a larger than block-size key and a larger than block-size data. The key needs to "
       "be hashed before being used by the HMAC algorithm.",
       "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.name);
    const crypto::hmac_sha256_key key(c.key);
    const std::string expected = c.mac_hex;
    CHECK(hex_of(crypto::hmac_sha256_of(key, c.data)).substr(0, expected.size()) == expected);
  }
}

TEST_CASE("a key is reused: each MAC starts again from the key's states") {
  const crypto::hmac_sha256_key key("Jefe");
  const auto first = crypto::hmac_sha256_of(key, "what do ya want for nothing?");
  const auto other = crypto::hmac_sha256_of(key, "something else");
  CHECK(crypto::hmac_sha256_of(key, "what do ya want for nothing?") == first);
  CHECK(other != first);
  const crypto::hmac_sha256_key copy = key;  // a copy MACs like the original
  CHECK(crypto::hmac_sha256_of(copy, "what do ya want for nothing?") == first);
}

TEST_CASE("a message given in parts MACs like the whole") {
  const crypto::hmac_sha256_key key(bytes(131, '\xaa'));
  const std::string whole(200, 'x');
  crypto::hmac_sha256 parts(key);
  parts.update(std::string_view(whole).substr(0, 1)).update(std::string_view(whole).substr(1, 70));
  parts.update("").update(std::string_view(whole).substr(71));
  CHECK(parts.finish() == crypto::hmac_sha256_of(key, whole));
}

TEST_CASE("agrees with OpenSSL's one-shot HMAC, and the key matters") {
  const std::string data = "recipient\x1fphone\x1f" "13800138000";
  CHECK(hex_of(crypto::hmac_sha256_of(crypto::hmac_sha256_key("k1-0123456789abcdef"), data)) ==
        crypto::hmac_sha256_hex("k1-0123456789abcdef", data));
  CHECK(crypto::hmac_sha256_of(crypto::hmac_sha256_key("k1-0123456789abcdef"), data) !=
        crypto::hmac_sha256_of(crypto::hmac_sha256_key("k2-0123456789abcdef"), data));
  CHECK(crypto::hmac_sha256_key().is_empty());
  CHECK_FALSE(crypto::hmac_sha256_key("k").is_empty());
  // The empty key is still HMAC (RFC 2104), not a plain hash.
  CHECK(hex_of(crypto::hmac_sha256_of(crypto::hmac_sha256_key(), "")) ==
        "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
}
