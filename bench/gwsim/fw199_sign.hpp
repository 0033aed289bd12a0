// The fw199 (蜂巢) request signature, implemented independently of Herald's client:
//   sign = lower_hex(MD5(secret + name1 + value1 + name2 + value2 + ... + secret))
// over every form field except `sign`, sorted by name in byte order, raw decoded values,
// empty values included.
#pragma once

#include <string>
#include <string_view>

#include "form.hpp"

namespace gwsim {

// Lower-case hex MD5 (OpenSSL EVP).
std::string md5_hex(std::string_view data);

// The string between the two secrets: sorted name+value pairs, `sign` left out.
std::string fw199_sign_payload(const Form& form);

// The expected `sign` value for `form` (32 lower-case hex characters).
std::string fw199_sign(const Form& form, std::string_view secret);

// True when `sign` equals fw199_sign(form, secret) exactly (lower-case only), compared in
// constant time.
bool fw199_verify(const Form& form, std::string_view secret, std::string_view sign);

}  // namespace gwsim
