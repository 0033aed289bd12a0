#pragma once
// HMAC-SHA256 (RFC 2104) with the key's inner and outer states computed once. The ledger hashes
// recipients with a secret key (docs/ledger.md, "Recipient hashes") once or twice per event: with
// the states kept, a MAC costs two SHA-256 compressions for a short message instead of four, and
// nothing is allocated (an OpenSSL HMAC or EVP_MAC context copy allocates on every use).
#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace herald::crypto {

using sha256_digest = std::array<std::uint8_t, 32>;

// A key, ready to MAC with. Copyable (a copy of two hash states); holds no heap memory.
class hmac_sha256_key {
 public:
  hmac_sha256_key();  // the empty key (RFC 2104 allows it; Herald's configuration refuses it)
  explicit hmac_sha256_key(std::string_view key);

  bool is_empty() const noexcept { return is_empty_; }

  // The inner and outer SHA-256 states after their key block (OpenSSL's SHA256_CTX, kept opaque
  // here so that OpenSSL's headers stay out of the configuration's).
  static constexpr std::size_t state_size = 128;
  struct state {
    alignas(16) unsigned char bytes[state_size];
  };

 private:
  friend class hmac_sha256;
  state inner_;
  state outer_;
  bool is_empty_ = true;
};

// One MAC computation: update() the message in as many parts as convenient, then finish().
class hmac_sha256 {
 public:
  explicit hmac_sha256(const hmac_sha256_key& key) noexcept;
  hmac_sha256& update(std::string_view data) noexcept;
  sha256_digest finish() noexcept;

 private:
  const hmac_sha256_key* key_;
  hmac_sha256_key::state ctx_;
};

// The MAC of data in one call.
sha256_digest hmac_sha256_of(const hmac_sha256_key& key, std::string_view data) noexcept;

}  // namespace herald::crypto
