#pragma once
// Which Redis error answers are the configuration's (the worker stops, naming it) and which are a
// server out of step for a while (tried again).
#include <string_view>

namespace herald::redis {

// NOAUTH (the server wants a password), NOPERM (the ACL user lacks +ping), WRONGPASS: nothing but
// a configuration change helps. LOADING (a restarted Redis reading its data), BUSY (a long script),
// MASTERDOWN (a replica without its master) and anything else pass: stopping the pod on them
// would stretch a Redis restart into a crash loop.
inline bool is_handshake_refusal(std::string_view error_reply) {
  return error_reply.starts_with("NOAUTH") || error_reply.starts_with("NOPERM") ||
         error_reply.starts_with("WRONGPASS");
}

// An ACL user that may not run a command the ledger needs (EVALSHA, SCRIPT, HSET...): retrying
// would hold every event in flight forever behind a ready-looking pod. `error_text` is a failed
// call's message, which quotes the server's reply ("ledger reserve: NOPERM this user has no ...").
inline bool is_permission_refusal(std::string_view error_text) {
  return error_text.find("NOPERM") != std::string_view::npos;
}

}  // namespace herald::redis
