#include "fw199_sign.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <algorithm>
#include <memory>
#include <stdexcept>
#include <vector>

namespace gwsim {
namespace {

struct MdCtxDeleter {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};
using MdCtx = std::unique_ptr<EVP_MD_CTX, MdCtxDeleter>;

const EVP_MD* md5_algorithm() {
  // Fetched once; EVP_md5() would look the implementation up again on every digest.
  static EVP_MD* md = EVP_MD_fetch(nullptr, "MD5", nullptr);
  if (!md) throw std::runtime_error("OpenSSL has no MD5 implementation");
  return md;
}

// Incremental MD5: the sign payload is never materialised on the hot path.
class Md5 {
 public:
  Md5() : ctx_(EVP_MD_CTX_new()) {
    if (!ctx_ || EVP_DigestInit_ex(ctx_.get(), md5_algorithm(), nullptr) != 1)
      throw std::runtime_error("EVP_DigestInit_ex(MD5) failed");
  }
  void update(std::string_view data) {
    if (!data.empty() && EVP_DigestUpdate(ctx_.get(), data.data(), data.size()) != 1)
      throw std::runtime_error("EVP_DigestUpdate failed");
  }
  std::string hex() {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (EVP_DigestFinal_ex(ctx_.get(), digest, &len) != 1)
      throw std::runtime_error("EVP_DigestFinal_ex failed");
    static constexpr char digits[] = "0123456789abcdef";
    std::string out(len * 2, '0');
    for (unsigned int i = 0; i < len; ++i) {
      out[2 * i] = digits[digest[i] >> 4];
      out[2 * i + 1] = digits[digest[i] & 0x0F];
    }
    return out;
  }

 private:
  MdCtx ctx_;
};

// Fields to sign, sorted by name (std::string_view compares bytes as unsigned char).
std::vector<const FormField*> signed_fields(const Form& form) {
  std::vector<const FormField*> fields;
  fields.reserve(form.size());
  for (const auto& f : form)
    if (f.name != "sign") fields.push_back(&f);
  std::stable_sort(fields.begin(), fields.end(), [](const FormField* a, const FormField* b) {
    return std::string_view(a->name) < std::string_view(b->name);
  });
  return fields;
}

}  // namespace

std::string md5_hex(std::string_view data) {
  Md5 md5;
  md5.update(data);
  return md5.hex();
}

std::string fw199_sign_payload(const Form& form) {
  std::string out;
  for (const FormField* f : signed_fields(form)) {
    out += f->name;
    out += f->value;
  }
  return out;
}

std::string fw199_sign(const Form& form, std::string_view secret) {
  Md5 md5;
  md5.update(secret);
  for (const FormField* f : signed_fields(form)) {
    md5.update(f->name);
    md5.update(f->value);
  }
  md5.update(secret);
  return md5.hex();
}

bool fw199_verify(const Form& form, std::string_view secret, std::string_view sign) {
  const std::string expected = fw199_sign(form, secret);
  if (sign.size() != expected.size()) return false;
  return CRYPTO_memcmp(expected.data(), sign.data(), expected.size()) == 0;
}

}  // namespace gwsim
