#include "herald/redis/command.hpp"

#include <array>
#include <limits>
#include <memory>
#include <new>
#include <stdexcept>
#include <vector>

#include <hiredis/hiredis.h>

namespace herald::redis {
namespace {

// Formats argv with hiredis's formatter. Up to 16 arguments (nearly every command) need no heap
// for the argument arrays.
template <class Range>
std::string format(const Range& args) {
  const std::size_t count = std::size(args);
  if (count == 0) throw std::invalid_argument("redis command: no arguments (the command name is missing)");
  if (count > static_cast<std::size_t>(std::numeric_limits<int>::max())) {
    throw std::invalid_argument("redis command: too many arguments");
  }

  constexpr std::size_t inline_count = 16;
  std::array<const char*, inline_count> inline_pointers;
  std::array<std::size_t, inline_count> inline_lengths;
  std::vector<const char*> heap_pointers;
  std::vector<std::size_t> heap_lengths;
  const char** pointers = inline_pointers.data();
  std::size_t* lengths = inline_lengths.data();
  if (count > inline_count) {
    heap_pointers.resize(count);
    heap_lengths.resize(count);
    pointers = heap_pointers.data();
    lengths = heap_lengths.data();
  }
  std::size_t i = 0;
  std::size_t total = 0;
  for (const auto& arg : args) {
    const std::string_view view(arg);
    pointers[i] = view.data() != nullptr ? view.data() : "";  // hiredis memcpy()s from it
    lengths[i] = view.size();
    total += view.size();
    ++i;
  }
  // hiredis counts the formatted size in an int; Redis itself refuses requests over 1 GiB.
  if (total > (std::size_t{1} << 30)) throw std::invalid_argument("redis command: larger than 1 GiB");

  char* formatted = nullptr;
  const int length = redisFormatCommandArgv(&formatted, static_cast<int>(count), pointers, lengths);
  if (length < 0) throw std::bad_alloc();
  std::unique_ptr<char, decltype(&redisFreeCommand)> owner(formatted, &redisFreeCommand);
  return std::string(formatted, static_cast<std::size_t>(length));
}

}  // namespace

command::command(std::initializer_list<std::string_view> args) : bytes_(format(args)) {}
command::command(std::span<const std::string_view> args) : bytes_(format(args)) {}
command::command(std::span<const std::string> args) : bytes_(format(args)) {}

}  // namespace herald::redis
