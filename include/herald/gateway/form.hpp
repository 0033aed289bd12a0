#pragma once
// application/x-www-form-urlencoded request bodies (docs/gateways.md, "Form encoding").
//
// Every byte of a name or value is percent-encoded except the RFC 3986 unreserved set
// A-Z a-z 0-9 - _ . ~, with upper-case hex; UTF-8 text is encoded byte by byte. A space is
// written %20, not '+': both decode to a space in every form decoder, but %20 also means a space
// to a plain RFC 3986 decoder, and this exact encoding is the one Alibaba Cloud's RPC signature
// needs (docs/gateways.md "Alibaba Cloud SMS", "Signature"), so one encoder serves every gateway.
#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <utility>

namespace herald::gateway::form {

using field = std::pair<std::string_view, std::string_view>;  // (name, value)

// How many bytes append_encoded writes for s.
std::size_t encoded_size(std::string_view s) noexcept;

// Appends s percent-encoded (see above).
void append_encoded(std::string& out, std::string_view s);

// Appends name=value, both encoded, preceded by '&' unless out is empty: a form body is built in
// its own buffer, field after field.
void append_field(std::string& out, std::string_view name, std::string_view value);

// The body for fields, in their order.
std::string encode(std::span<const field> fields);

}  // namespace herald::gateway::form
