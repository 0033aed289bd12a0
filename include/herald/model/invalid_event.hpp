#pragma once
// What an event that failed to decode still says about itself, so that its outcome record can be
// traced to an order.
#include <string_view>

#include "herald/model/event.hpp"

namespace herald::model {

// Copies event_id, order_id and account from bytes into e, each only where it is a string of at
// most 128 bytes of valid UTF-8; leaves the others as they are. Bytes may be hostile: the parse
// never recurses on them (json::parse_dom), and an event refused for invalid UTF-8 (or for a
// \udc00 escape, which the parser decodes into bytes that are not UTF-8) carries none of that
// text into its outcome record.
void identify_invalid_event(std::string_view bytes, event& e);

}  // namespace herald::model
