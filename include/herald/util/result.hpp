#pragma once
// A value or an error message: the hot path's alternative to exceptions (docs/architecture.md,
// "How we write code", Errors).
#include <string>
#include <utility>
#include <variant>

namespace herald {

struct error {
  std::string message;
};

inline error make_error(std::string message) { return error{std::move(message)}; }

template <class T>
class [[nodiscard]] result {
 public:
  result(T value) : state_(std::in_place_index<0>, std::move(value)) {}
  result(error err) : state_(std::in_place_index<1>, std::move(err)) {}

  bool has_value() const noexcept { return state_.index() == 0; }
  explicit operator bool() const noexcept { return has_value(); }

  T& value() & { return std::get<0>(state_); }
  const T& value() const& { return std::get<0>(state_); }
  T&& value() && { return std::get<0>(std::move(state_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const error& err() const& { return std::get<1>(state_); }
  const std::string& message() const { return std::get<1>(state_).message; }

 private:
  std::variant<T, error> state_;
};

// result<void>: success or an error.
struct ok_t {};
inline constexpr ok_t ok{};
using status = result<ok_t>;

}  // namespace herald
