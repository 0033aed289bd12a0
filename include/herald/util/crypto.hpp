#pragma once
// Digests and MACs used by the gateway signers and for hashing recipients (OpenSSL EVP).
#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace herald::crypto {

enum class hex_case { lower, upper };

std::string md5_hex(std::string_view data, hex_case c = hex_case::lower);
std::string hmac_md5_hex(std::string_view key, std::string_view data, hex_case c = hex_case::lower);
std::string hmac_sha256_hex(std::string_view key, std::string_view data, hex_case c = hex_case::lower);
// Raw 20-byte HMAC-SHA1 (Alibaba Cloud RPC signatures base64 it).
std::string hmac_sha1_raw(std::string_view key, std::string_view data);
std::array<std::uint8_t, 32> sha256(std::string_view data);
std::string base64_encode(std::string_view data);
// The same appended to out (no string of its own: ledger keys carry one per event).
void append_base64(std::string& out, std::string_view data);
std::string to_hex(std::string_view bytes, hex_case c = hex_case::lower);
// A random identifier (hex of 16 random bytes) for nonces and request ids.
std::string random_hex(std::size_t bytes = 16);

}  // namespace herald::crypto
