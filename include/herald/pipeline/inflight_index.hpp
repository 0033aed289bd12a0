#pragma once
// The notifications in flight in this worker, by ledger record id: the first copy of one leads,
// later copies follow it and end as it does (or wait with it) instead of being sent again. Plain
// data: Item has `Item* leader` and `std::vector<Item*> followers`; the key a view of the leader's
// own record id, which must outlive its entry.
#include <algorithm>
#include <cstring>
#include <functional>
#include <string_view>
#include <vector>

#include <boost/unordered/unordered_flat_map.hpp>

namespace herald::pipeline {

// Ledger record ids are 4 hex digits and 12 bytes of SHA-256: 8 of those bytes are already a
// well-mixed hash, so the map need not hash all 16 again (it is consulted for every event).
struct record_id_hash {
  using is_avalanching = void;  // SHA-256 bytes: the flat map need not mix them again
  std::size_t operator()(std::string_view id) const noexcept {
    if (id.size() < 12) return std::hash<std::string_view>{}(id);
    std::size_t h;
    std::memcpy(&h, id.data() + 4, sizeof h);
    return h;
  }
};

template <class Item>
class inflight_index {
 public:
  void reserve(std::size_t n) { by_key_.reserve(n); }
  // it leads key now (nullptr), or follows the copy already in flight (returned).
  Item* enter(std::string_view key, Item* it) {
    auto [pos, is_new] = by_key_.try_emplace(key, it);
    if (is_new) return nullptr;
    it->leader = pos->second;
    pos->second->followers.push_back(it);
    return pos->second;
  }
  // The leader of key is done (or waits elsewhere): out of the index, and its followers with it,
  // freed from following. A follower passed here has none: nothing happens.
  std::vector<Item*> take_followers(Item* it, std::string_view key) {
    if (it->leader) return {};
    auto pos = by_key_.find(key);
    if (pos != by_key_.end() && pos->second == it) by_key_.erase(pos);
    std::vector<Item*> out;
    out.swap(it->followers);
    for (Item* f : out) f->leader = nullptr;
    return out;
  }
  // A follower leaves its leader (it was dropped).
  void leave(Item* follower) {
    if (!follower->leader) return;
    auto& f = follower->leader->followers;
    f.erase(std::remove(f.begin(), f.end(), follower), f.end());
    follower->leader = nullptr;
  }
  std::size_t size() const { return by_key_.size(); }

 private:
  boost::unordered_flat_map<std::string_view, Item*, record_id_hash> by_key_;
};

}  // namespace herald::pipeline
