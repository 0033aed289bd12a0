// Copies of one notification in flight at once: the first leads, the others follow it.
#include "herald/pipeline/inflight_index.hpp"

#include <doctest/doctest.h>

#include <string>

using herald::pipeline::inflight_index;

namespace {
struct ev {
  std::string key;
  ev* leader = nullptr;
  std::vector<ev*> followers;
};
}  // namespace

TEST_CASE("the first copy leads; later ones follow it until it is done") {
  ev a{"k1"}, b{"k1"}, c{"k1"}, d{"k2"};
  inflight_index<ev> idx;
  CHECK(idx.enter(a.key, &a) == nullptr);
  CHECK(idx.enter(b.key, &b) == &a);
  CHECK(idx.enter(c.key, &c) == &a);
  CHECK(idx.enter(d.key, &d) == nullptr);
  CHECK(b.leader == &a);
  CHECK(a.followers == std::vector<ev*>{&b, &c});
  // A follower asked for followers has none and changes nothing.
  CHECK(idx.take_followers(&b, b.key).empty());
  CHECK(idx.size() == 2);
  auto f = idx.take_followers(&a, a.key);
  CHECK(f == std::vector<ev*>{&b, &c});
  CHECK(b.leader == nullptr);
  CHECK(a.followers.empty());
  CHECK(idx.size() == 1);
  // Free again: the next copy leads.
  ev e{"k1"};
  CHECK(idx.enter(e.key, &e) == nullptr);
}

TEST_CASE("a dropped follower leaves its leader; another key's entry is never taken out") {
  ev a{"k"}, b{"k"}, c{"k"};
  inflight_index<ev> idx;
  idx.enter(a.key, &a);
  idx.enter(b.key, &b);
  idx.enter(c.key, &c);
  idx.leave(&b);
  CHECK(b.leader == nullptr);
  CHECK(a.followers == std::vector<ev*>{&c});
  idx.leave(&b);  // twice: nothing
  CHECK(a.followers == std::vector<ev*>{&c});
  // An item that does not lead the key (here: one never entered) does not remove the leader.
  ev stranger{"k"};
  CHECK(idx.take_followers(&stranger, stranger.key).empty());
  CHECK(idx.size() == 1);
}
