#pragma once
// One Redis (RESP2) reply, owned: what reply_reader produces and client::exec returns.
#include <string>
#include <string_view>
#include <vector>

namespace herald::redis {

struct reply {
  enum class type { string, array, integer, nil, status, error };

  type kind = type::nil;
  std::string str;      // bulk string, status text ("OK", "PONG") or error text ("NOSCRIPT No ...")
  long long integer = 0;
  std::vector<reply> elements;  // array replies

  bool is_error() const noexcept { return kind == type::error; }
  bool is_nil() const noexcept { return kind == type::nil; }
  // The first word of an error reply ("ERR", "WRONGTYPE", "NOSCRIPT"); empty for other replies.
  std::string_view error_code() const noexcept;
};

// The server does not have the script in its cache (EVALSHA before SCRIPT LOAD or EVAL, or
// after a restart or SCRIPT FLUSH): the caller should send the script's text once.
bool is_noscript(const reply& r) noexcept;

std::string_view to_string(reply::type t) noexcept;

// A short, single-line rendering for error messages and tests: "\"abc\"", "(integer) 3",
// "(nil)", "(error) ERR ...", "[\"a\", (integer) 1]". Long strings are cut.
std::string describe(const reply& r);

}  // namespace herald::redis
