// Finished events are handed to a transaction in offset order, and only below the watermark.
#include "herald/pipeline/ordered_handover.hpp"

#include <doctest/doctest.h>

#include <algorithm>

using herald::pipeline::ordered_handover;

namespace {
struct ev {
  std::int64_t offset;
};
}  // namespace

TEST_CASE("nothing at or above the committable offset is given; what is below comes in offset order") {
  ev e5{5}, e3{3}, e7{7}, e4{4};
  ordered_handover<ev> h;
  for (ev* e : {&e5, &e3, &e7, &e4}) h.push(e);
  std::vector<std::int64_t> given;
  auto give = [&](ev* e) { given.push_back(e->offset); };
  h.release_below(3, give);  // offset 3 itself is the lowest unsettled: nothing yet
  CHECK(given.empty());
  h.release_below(6, give);
  CHECK(given == std::vector<std::int64_t>{3, 4, 5});
  CHECK(h.size() == 1);
  h.release_below(8, give);
  CHECK(given == std::vector<std::int64_t>{3, 4, 5, 7});
  CHECK(h.size() == 0);
}

TEST_CASE("a revoked partition's waiting events are all taken back") {
  ev a{1}, b{9};
  ordered_handover<ev> h;
  h.push(&b);
  h.push(&a);
  auto all = h.take_all();
  std::sort(all.begin(), all.end(), [](ev* x, ev* y) { return x->offset < y->offset; });
  REQUIRE(all.size() == 2);
  CHECK(all[0] == &a);
  CHECK(all[1] == &b);
  CHECK(h.size() == 0);
}
