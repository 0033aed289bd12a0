// The producer's transactional.id: configured, else the group and a name stable for one pod.
#include <doctest/doctest.h>

#include <map>
#include <string>

#include "herald/kafka/transactional_id.hpp"

using herald::kafka::transactional_id_for;

namespace {

struct env {
  std::map<std::string, std::string> vars;
  std::function<const char*(const char*)> fn() const {
    return [this](const char* n) -> const char* {
      auto it = vars.find(n);
      return it == vars.end() ? nullptr : it->second.c_str();
    };
  }
};

herald::config::kafka_config group(std::string g, std::string id = "") {
  herald::config::kafka_config k;
  k.group_id = std::move(g);
  k.transactional_id = std::move(id);
  return k;
}

}  // namespace

TEST_CASE("a configured transactional id is used as it is") {
  env e{{{"POD_NAME", "herald-7f9c-abcde"}}};
  CHECK(transactional_id_for(group("herald", "orders-eu-1"), e.fn(), "node-1") == "orders-eu-1");
}

TEST_CASE("otherwise the group and the pod's name, else HOSTNAME, else the host name") {
  CHECK(transactional_id_for(group("herald"), env{{{"POD_NAME", "herald-0"}, {"HOSTNAME", "h"}}}.fn(), "node") ==
        "herald-herald-0");
  CHECK(transactional_id_for(group("herald"), env{{{"HOSTNAME", "herald-5d8-x2k"}}}.fn(), "node") ==
        "herald-herald-5d8-x2k");
  CHECK(transactional_id_for(group("herald"), env{{{"POD_NAME", ""}, {"HOSTNAME", ""}}}.fn(), "node-3") ==
        "herald-node-3");
  CHECK(transactional_id_for(group("g"), env{}.fn(), "") == "g-herald");
}

TEST_CASE("two starts of one pod get the same id, two pods different ones") {
  const env a{{{"POD_NAME", "herald-0"}}}, b{{{"POD_NAME", "herald-1"}}};
  CHECK(transactional_id_for(group("herald"), a.fn(), "n") == transactional_id_for(group("herald"), a.fn(), "n"));
  CHECK(transactional_id_for(group("herald"), a.fn(), "n") != transactional_id_for(group("herald"), b.fn(), "n"));
}

TEST_CASE("the process's own environment and host name give a non-empty id of the group") {
  const std::string id = transactional_id_for(group("herald-test"));
  CHECK(id.starts_with("herald-test-"));
  CHECK(id.size() > std::string("herald-test-").size());
}
