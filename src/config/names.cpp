// The spellings of config enums, in one table each so to_string and parse_* cannot disagree.
#include <array>
#include <utility>

#include "herald/config/config.hpp"

namespace herald::config {
namespace {

template <class E, std::size_t N>
using name_table = std::array<std::pair<E, std::string_view>, N>;

constexpr name_table<gateway_kind, 5> gateway_names{{
    {gateway_kind::fw199_taobao, "fw199_taobao"},
    {gateway_kind::fw199_douyin, "fw199_douyin"},
    {gateway_kind::top_oaid, "top_oaid"},
    {gateway_kind::aliyun_sms, "aliyun_sms"},
    {gateway_kind::aliyun_card, "aliyun_card"},
}};

constexpr name_table<unknown_policy, 3> policy_names{{
    {unknown_policy::report_unknown, "report_unknown"},
    {unknown_policy::assume_sent, "assume_sent"},
    {unknown_policy::resend, "resend"},
}};

constexpr name_table<category, 2> category_names{{
    {category::transactional, "transactional"},
    {category::marketing, "marketing"},
}};

template <class E, std::size_t N>
std::string_view name_of(const name_table<E, N>& table, E value) {
  for (const auto& [e, name] : table)
    if (e == value) return name;
  return "?";
}

template <class E, std::size_t N>
std::optional<E> value_of(const name_table<E, N>& table, std::string_view text) {
  for (const auto& [e, name] : table)
    if (name == text) return e;
  return std::nullopt;
}

}  // namespace

std::string_view to_string(gateway_kind k) { return name_of(gateway_names, k); }
std::string_view to_string(unknown_policy p) { return name_of(policy_names, p); }
std::string_view to_string(category c) { return name_of(category_names, c); }

std::optional<gateway_kind> parse_gateway_kind(std::string_view text) { return value_of(gateway_names, text); }
std::optional<unknown_policy> parse_unknown_policy(std::string_view text) { return value_of(policy_names, text); }
std::optional<category> parse_category(std::string_view text) { return value_of(category_names, text); }

}  // namespace herald::config
