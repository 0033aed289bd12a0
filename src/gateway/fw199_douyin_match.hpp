#pragma once
// Which 抖店 answer element is which item's (docs/gateways.md "fw199 抖店 SMS batch", "Answer").
#include <rapidjson/document.h>

#include <span>
#include <vector>

#include "fw199_answer.hpp"

namespace herald::gateway::detail {

// One result per item from `data` (an array of at most items.size() elements). An element is
// matched by its echoed order_id wherever it gives one; by position only where it gives none, and
// only while the answer can be trusted to be in request order (every echo at its own item's
// position, none unreadable, unknown or given twice), or as the one element left for the one item
// left when the answer has one element per item. Anything else is ambiguous (`unmatched`): an item
// is never credited with another item's answer.
std::vector<item_result> match_douyin_answer(const rapidjson::Value& data, std::span<const model::event* const> items,
                                             const fw199_item_rules& rules);

}  // namespace herald::gateway::detail
