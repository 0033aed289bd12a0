#include "top_sign.hpp"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <algorithm>
#include <memory>
#include <stdexcept>
#include <vector>

namespace gwsim {
namespace {

struct MdCtxDeleter {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};
struct MacCtxDeleter {
  void operator()(EVP_MAC_CTX* ctx) const { EVP_MAC_CTX_free(ctx); }
};

std::string upper_hex(const unsigned char* bytes, std::size_t n) {
  static constexpr char digits[] = "0123456789ABCDEF";
  std::string out(n * 2, '0');
  for (std::size_t i = 0; i < n; ++i) {
    out[2 * i] = digits[bytes[i] >> 4];
    out[2 * i + 1] = digits[bytes[i] & 0x0F];
  }
  return out;
}

// Parameters to sign, sorted by name (std::string_view compares bytes as unsigned char).
std::vector<const FormField*> signed_fields(const Form& form) {
  std::vector<const FormField*> fields;
  fields.reserve(form.size());
  for (const auto& f : form)
    if (f.name != "sign" && !f.value.empty()) fields.push_back(&f);
  std::stable_sort(fields.begin(), fields.end(), [](const FormField* a, const FormField* b) {
    return std::string_view(a->name) < std::string_view(b->name);
  });
  return fields;
}

std::string md5_wrapped(const Form& form, std::string_view secret) {
  static EVP_MD* md = EVP_MD_fetch(nullptr, "MD5", nullptr);
  if (!md) throw std::runtime_error("OpenSSL has no MD5 implementation");
  std::unique_ptr<EVP_MD_CTX, MdCtxDeleter> ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestInit_ex(ctx.get(), md, nullptr) != 1)
    throw std::runtime_error("EVP_DigestInit_ex(MD5) failed");
  auto update = [&](std::string_view s) {
    if (!s.empty() && EVP_DigestUpdate(ctx.get(), s.data(), s.size()) != 1)
      throw std::runtime_error("EVP_DigestUpdate failed");
  };
  update(secret);
  for (const FormField* f : signed_fields(form)) {
    update(f->name);
    update(f->value);
  }
  update(secret);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(ctx.get(), digest, &len) != 1) throw std::runtime_error("EVP_DigestFinal_ex failed");
  return upper_hex(digest, len);
}

std::string hmac(const Form& form, std::string_view secret, const char* digest_name) {
  static EVP_MAC* mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  if (!mac) throw std::runtime_error("OpenSSL has no HMAC implementation");
  std::unique_ptr<EVP_MAC_CTX, MacCtxDeleter> ctx(EVP_MAC_CTX_new(mac));
  std::string digest(digest_name);
  const OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest.data(), 0), OSSL_PARAM_construct_end()};
  // A zero-length key is legal for HMAC; OpenSSL wants a non-null pointer for it.
  static const unsigned char no_key = 0;
  const auto* key = secret.empty() ? &no_key : reinterpret_cast<const unsigned char*>(secret.data());
  if (!ctx || EVP_MAC_init(ctx.get(), key, secret.size(), params) != 1)
    throw std::runtime_error("EVP_MAC_init(HMAC) failed");
  for (const FormField* f : signed_fields(form)) {
    for (std::string_view s : {std::string_view(f->name), std::string_view(f->value)})
      if (!s.empty() && EVP_MAC_update(ctx.get(), reinterpret_cast<const unsigned char*>(s.data()), s.size()) != 1)
        throw std::runtime_error("EVP_MAC_update failed");
  }
  unsigned char out[EVP_MAX_MD_SIZE];
  std::size_t len = 0;
  if (EVP_MAC_final(ctx.get(), out, &len, sizeof out) != 1) throw std::runtime_error("EVP_MAC_final failed");
  return upper_hex(out, len);
}

}  // namespace

std::optional<TopSignMethod> parse_top_sign_method(std::string_view text) {
  if (text == "md5") return TopSignMethod::md5;
  if (text == "hmac") return TopSignMethod::hmac_md5;
  if (text == "hmac-sha256") return TopSignMethod::hmac_sha256;
  return std::nullopt;
}

std::string top_sign_payload(const Form& form) {
  std::string out;
  for (const FormField* f : signed_fields(form)) {
    out += f->name;
    out += f->value;
  }
  return out;
}

std::string top_sign(const Form& form, std::string_view secret, TopSignMethod method) {
  switch (method) {
    case TopSignMethod::md5: return md5_wrapped(form, secret);
    case TopSignMethod::hmac_md5: return hmac(form, secret, "MD5");
    case TopSignMethod::hmac_sha256: return hmac(form, secret, "SHA256");
  }
  throw std::logic_error("unknown TopSignMethod");
}

bool top_verify(const Form& form, std::string_view secret, TopSignMethod method, std::string_view sign) {
  const std::string expected = top_sign(form, secret, method);
  if (sign.size() != expected.size()) return false;
  return CRYPTO_memcmp(expected.data(), sign.data(), expected.size()) == 0;
}

}  // namespace gwsim
