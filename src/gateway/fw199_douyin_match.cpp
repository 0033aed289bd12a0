// 抖店 answers matched to items by their echoed order_id (docs/gateways.md "fw199 抖店 SMS batch",
// "Answer"). The vendor's own sample answer lists its items in another order than the request, so
// position alone would end a reordered call unknown, or credit one item with another's result.
#include "fw199_douyin_match.hpp"

#include <algorithm>
#include <cstddef>
#include <string>
#include <string_view>
#include <utility>


namespace herald::gateway::detail {
namespace {

constexpr std::size_t none = static_cast<std::size_t>(-1);

enum class echo_kind { absent, text, unreadable };

// absent: no order_id, null or "" (the vendor echoes "" when none was passed).
echo_kind echo_of(const rapidjson::Value& element, std::string_view& echoed) {
  const auto it = element.FindMember("order_id");
  if (it == element.MemberEnd() || it->value.IsNull()) return echo_kind::absent;
  if (!it->value.IsString()) return echo_kind::unreadable;
  echoed = std::string_view(it->value.GetString(), it->value.GetStringLength());
  return echoed.empty() ? echo_kind::absent : echo_kind::text;
}

// Why an item has no element; static texts, copied into the result only for such items.
enum class unmatched_reason { no_element, echoed_twice, shares_order_id };

}  // namespace

std::vector<item_result> match_douyin_answer(const rapidjson::Value& data, std::span<const model::event* const> items,
                                             const fw199_item_rules& rules) {
  const std::size_t n = items.size();
  const auto elements = data.GetArray();
  const std::size_t m = elements.Size();  // at most n (read_fw199_call)

  // The call's order ids, sorted for lookup (at most 100 items; the batcher keeps them distinct).
  std::vector<std::pair<std::string_view, std::size_t>> by_order_id;
  by_order_id.reserve(n);
  for (std::size_t i = 0; i < n; ++i)
    if (!items[i]->order_id.empty()) by_order_id.emplace_back(items[i]->order_id, i);
  std::sort(by_order_id.begin(), by_order_id.end());

  std::vector<std::size_t> element_of(n, none);
  std::vector<unmatched_reason> reason(n, unmatched_reason::no_element);
  std::vector<bool> is_conflicted(n, false);
  std::vector<std::size_t> unechoed;  // elements giving no order_id
  std::vector<std::size_t> shared;    // elements echoing an order_id several items carry
  bool is_in_order = true;  // every echo sits at its own item's position
  bool is_clean = true;     // every element is an object whose echo, if any, names one item once

  for (std::size_t j = 0; j < m; ++j) {
    const auto& element = elements[static_cast<rapidjson::SizeType>(j)];
    std::string_view echoed;
    const echo_kind kind = element.IsObject() ? echo_of(element, echoed) : echo_kind::unreadable;
    if (kind == echo_kind::unreadable) {
      is_clean = false;  // whose it is cannot be told: it may be any item's
      continue;
    }
    if (kind == echo_kind::absent) {
      unechoed.push_back(j);
      continue;
    }
    const auto [first, last] = std::equal_range(
        by_order_id.begin(), by_order_id.end(), std::pair<std::string_view, std::size_t>(echoed, 0),
        [](const auto& a, const auto& b) { return a.first < b.first; });
    if (first == last) {  // an order id the call did not send
      is_clean = false;
      continue;
    }
    if (last - first > 1) {  // items sharing an order id (the batcher prevents it): see below
      shared.push_back(j);
      continue;
    }
    const std::size_t k = first->second;
    if (element_of[k] != none || is_conflicted[k]) {  // a second element for one item
      is_conflicted[k] = true;
      is_clean = false;
      continue;
    }
    element_of[k] = j;
    if (k != j) is_in_order = false;
  }
  for (std::size_t i = 0; i < n; ++i)
    if (is_conflicted[i]) {
      element_of[i] = none;
      reason[i] = unmatched_reason::echoed_twice;
    }

  // An echo that names several items can only be told by its position: all of them at their own
  // item's position in an answer otherwise in request order, or none is placed.
  const auto echo_at = [&](std::size_t j) {
    std::string_view echoed;
    echo_of(elements[static_cast<rapidjson::SizeType>(j)], echoed);
    return echoed;
  };
  const bool are_shared_in_place =
      is_clean && is_in_order && std::all_of(shared.begin(), shared.end(), [&](std::size_t j) {
        return j < n && items[j]->order_id == echo_at(j) && element_of[j] == none;
      });
  for (std::size_t j : shared) {
    if (are_shared_in_place) {
      element_of[j] = j;
      continue;
    }
    for (std::size_t i = 0; i < n; ++i)
      if (element_of[i] == none && items[i]->order_id == echo_at(j)) reason[i] = unmatched_reason::shares_order_id;
    is_clean = false;
  }

  // Elements without an echo: by position while the answer is in request order; else the one
  // element left goes to the one item left, when each item has exactly one element.
  if (is_clean && is_in_order) {
    for (std::size_t j : unechoed) element_of[j] = j;  // item j has no other element: any would sit at j
  } else if (is_clean && m == n && unechoed.size() == 1) {
    const auto left = std::find(element_of.begin(), element_of.end(), none);
    if (left != element_of.end()) *left = unechoed.front();
  }

  const bool is_by_position = is_clean && is_in_order;
  std::vector<item_result> results(n);
  for (std::size_t i = 0; i < n; ++i) {
    item_result& r = results[i];
    if (element_of[i] != none) {
      read_fw199_item(elements[static_cast<rapidjson::SizeType>(element_of[i])], rules, r);
      continue;
    }
    r.cls = outcome_class::ambiguous;
    r.code = "unmatched";
    switch (reason[i]) {
      case unmatched_reason::echoed_twice: r.message = "two answer items echo this item's order_id"; break;
      case unmatched_reason::shares_order_id:
        r.message = "another item of the call has this order_id and the answer does not tell them apart";
        break;
      case unmatched_reason::no_element:
        if (is_by_position)
          r.message = "no answer item at this position (answer has " + std::to_string(m) + " items for " +
                      std::to_string(n) + " sent)";
        else
          r.message = "no answer item echoes this item's order_id, and the answer cannot be matched by position";
        break;
    }
  }
  return results;
}

}  // namespace herald::gateway::detail
