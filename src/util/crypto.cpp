#include "herald/util/crypto.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <memory>
#include <stdexcept>

namespace herald::crypto {
namespace {

std::string digest(const EVP_MD* md, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), out, &len, md, nullptr) != 1)
    throw std::runtime_error("EVP_Digest failed");
  return std::string(reinterpret_cast<const char*>(out), len);
}

std::string hmac(const EVP_MD* md, std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (!HMAC(md, key.data(), static_cast<int>(key.size()),
            reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &len))
    throw std::runtime_error("HMAC failed");
  return std::string(reinterpret_cast<const char*>(out), len);
}

}  // namespace

std::string to_hex(std::string_view bytes, hex_case c) {
  const char* digits = c == hex_case::lower ? "0123456789abcdef" : "0123456789ABCDEF";
  std::string out;
  out.resize(bytes.size() * 2);
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    auto b = static_cast<unsigned char>(bytes[i]);
    out[2 * i] = digits[b >> 4];
    out[2 * i + 1] = digits[b & 0x0f];
  }
  return out;
}

std::string md5_hex(std::string_view data, hex_case c) { return to_hex(digest(EVP_md5(), data), c); }

std::string hmac_md5_hex(std::string_view key, std::string_view data, hex_case c) {
  return to_hex(hmac(EVP_md5(), key, data), c);
}

std::string hmac_sha256_hex(std::string_view key, std::string_view data, hex_case c) {
  return to_hex(hmac(EVP_sha256(), key, data), c);
}

std::string hmac_sha1_raw(std::string_view key, std::string_view data) { return hmac(EVP_sha1(), key, data); }

std::array<std::uint8_t, 32> sha256(std::string_view data) {
  // Two digests per event on the hot path: EVP_Digest with EVP_sha256() looks the algorithm up
  // and allocates a context on every call (OpenSSL 3), which cost more than hashing the few
  // dozen bytes. The algorithm is fetched once, the context kept per thread.
  static EVP_MD* const md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  struct ctx_deleter {
    void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
  };
  thread_local const std::unique_ptr<EVP_MD_CTX, ctx_deleter> ctx(EVP_MD_CTX_new());
  std::array<std::uint8_t, 32> out{};
  unsigned int len = 0;
  if (md == nullptr || !ctx || EVP_DigestInit_ex2(ctx.get(), md, nullptr) != 1 ||
      EVP_DigestUpdate(ctx.get(), data.data(), data.size()) != 1 ||
      EVP_DigestFinal_ex(ctx.get(), out.data(), &len) != 1 || len != 32)
    throw std::runtime_error("sha256 failed");
  return out;
}

std::string base64_encode(std::string_view data) {
  std::string out;
  append_base64(out, data);
  return out;
}

void append_base64(std::string& out, std::string_view data) {
  const std::size_t at = out.size();
  out.resize(at + 4 * ((data.size() + 2) / 3));
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data() + at),
                          reinterpret_cast<const unsigned char*>(data.data()), static_cast<int>(data.size()));
  out.resize(at + static_cast<std::size_t>(n));
}

std::string random_hex(std::size_t bytes) {
  std::string raw(bytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(raw.data()), static_cast<int>(bytes)) != 1)
    throw std::runtime_error("RAND_bytes failed");
  return to_hex(raw);
}

}  // namespace herald::crypto
