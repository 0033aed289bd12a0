#include "herald/util/hmac_sha256.hpp"

#include <cstring>

// SHA256_Init/Update/Final are deprecated in OpenSSL 3 in favour of EVP, but EVP's contexts live
// on the heap and cannot be snapshotted without allocating (EVP_MD_CTX_copy_ex duplicates the
// provider's context): the low-level SHA256_CTX is a plain struct whose copy is the precomputed
// state. It uses the same assembly (SHA-NI, AVX2) as EVP.
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/crypto.h>
#include <openssl/sha.h>

namespace herald::crypto {
namespace {

static_assert(sizeof(SHA256_CTX) <= hmac_sha256_key::state_size);
static_assert(alignof(SHA256_CTX) <= 16);

constexpr std::size_t block_size = 64;

SHA256_CTX* as_ctx(hmac_sha256_key::state& s) { return reinterpret_cast<SHA256_CTX*>(s.bytes); }

// H(key XOR pad) over one block, the state every MAC with this key starts from.
void keyed_state(hmac_sha256_key::state& out, const unsigned char (&key_block)[block_size], unsigned char pad) {
  unsigned char block[block_size];
  for (std::size_t i = 0; i < block_size; ++i) block[i] = static_cast<unsigned char>(key_block[i] ^ pad);
  std::memset(out.bytes, 0, sizeof out.bytes);
  SHA256_Init(as_ctx(out));
  SHA256_Update(as_ctx(out), block, block_size);
  OPENSSL_cleanse(block, sizeof block);
}

}  // namespace

hmac_sha256_key::hmac_sha256_key() : hmac_sha256_key(std::string_view()) {}

hmac_sha256_key::hmac_sha256_key(std::string_view key) : is_empty_(key.empty()) {
  // RFC 2104: a key longer than the block is replaced by its hash; the key is zero-padded.
  unsigned char key_block[block_size] = {};
  if (key.size() > block_size) {
    SHA256(reinterpret_cast<const unsigned char*>(key.data()), key.size(), key_block);
  } else if (!key.empty()) {
    std::memcpy(key_block, key.data(), key.size());
  }
  keyed_state(inner_, key_block, 0x36);
  keyed_state(outer_, key_block, 0x5c);
  OPENSSL_cleanse(key_block, sizeof key_block);
}

hmac_sha256::hmac_sha256(const hmac_sha256_key& key) noexcept : key_(&key), ctx_(key.inner_) {}

hmac_sha256& hmac_sha256::update(std::string_view data) noexcept {
  SHA256_Update(as_ctx(ctx_), data.data(), data.size());
  return *this;
}

sha256_digest hmac_sha256::finish() noexcept {
  sha256_digest inner{};
  SHA256_Final(inner.data(), as_ctx(ctx_));
  ctx_ = key_->outer_;
  SHA256_Update(as_ctx(ctx_), inner.data(), inner.size());
  sha256_digest out{};
  SHA256_Final(out.data(), as_ctx(ctx_));
  return out;
}

sha256_digest hmac_sha256_of(const hmac_sha256_key& key, std::string_view data) noexcept {
  return hmac_sha256(key).update(data).finish();
}

}  // namespace herald::crypto
