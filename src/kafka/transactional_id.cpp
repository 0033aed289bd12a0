#include "herald/kafka/transactional_id.hpp"

#include <unistd.h>

#include <cstdlib>

namespace herald::kafka {

std::string transactional_id_for(const config::kafka_config& cfg,
                                 const std::function<const char*(const char*)>& getenv, std::string_view host_name) {
  if (!cfg.transactional_id.empty()) return cfg.transactional_id;
  std::string_view instance;
  for (const char* name : {"POD_NAME", "HOSTNAME"}) {
    const char* v = getenv ? getenv(name) : nullptr;
    if (v && *v) {
      instance = v;
      break;
    }
  }
  if (instance.empty()) instance = host_name;
  if (instance.empty()) instance = "herald";
  return cfg.group_id + "-" + std::string(instance);
}

std::string transactional_id_for(const config::kafka_config& cfg) {
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) != 0) host[0] = '\0';
  return transactional_id_for(cfg, [](const char* name) { return std::getenv(name); }, host);
}

}  // namespace herald::kafka
