#include "herald/redis/script.hpp"

#include <charconv>
#include <stdexcept>
#include <string_view>
#include <vector>

#include <openssl/evp.h>

#include "herald/util/crypto.hpp"

namespace herald::redis {
namespace {

std::string sha1_hex(std::string_view text) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_Digest(text.data(), text.size(), digest, &length, EVP_sha1(), nullptr) != 1) {
    throw std::runtime_error("redis script: SHA1 failed");
  }
  return crypto::to_hex(std::string_view(reinterpret_cast<const char*>(digest), length));
}

command script_command(std::string_view name, std::string_view script_arg,
                       std::span<const std::string_view> keys, std::span<const std::string_view> args) {
  char number[24];
  const auto end = std::to_chars(number, number + sizeof number, keys.size()).ptr;
  std::vector<std::string_view> argv;
  argv.reserve(3 + keys.size() + args.size());
  argv.push_back(name);
  argv.push_back(script_arg);
  argv.emplace_back(number, static_cast<std::size_t>(end - number));
  argv.insert(argv.end(), keys.begin(), keys.end());
  argv.insert(argv.end(), args.begin(), args.end());
  return command(std::span<const std::string_view>(argv));
}

}  // namespace

script::script(std::string lua) : text_(std::move(lua)), sha1_(sha1_hex(text_)) {}

command script::evalsha_command(std::span<const std::string_view> keys, std::span<const std::string_view> args) const {
  return script_command("EVALSHA", sha1_, keys, args);
}

command script::eval_command(std::span<const std::string_view> keys, std::span<const std::string_view> args) const {
  return script_command("EVAL", text_, keys, args);
}

}  // namespace herald::redis
