#pragma once
// The producer's transactional.id. It must be the same for every start of one pod and differ
// between pods: a start with the id of a dead instance makes the broker abort what that instance
// left open at once (init_transactions) instead of after transaction_timeout_ms, and fences it.
#include <functional>
#include <string>
#include <string_view>

#include "herald/config/config.hpp"

namespace herald::kafka {

// kafka.transactional_id when set; else "<group_id>-<instance>", the instance being the first
// non-empty of POD_NAME, HOSTNAME (a pod's name in Kubernetes) and host_name.
std::string transactional_id_for(const config::kafka_config& cfg,
                                 const std::function<const char*(const char*)>& getenv, std::string_view host_name);

// The same from the process's environment and gethostname().
std::string transactional_id_for(const config::kafka_config& cfg);

}  // namespace herald::kafka
