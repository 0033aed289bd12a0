#include "object_reader.hpp"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <charconv>

#include "herald/util/json_text.hpp"

namespace herald::config::detail {
namespace {

std::string_view view(const rapidjson::Value& v) { return {v.GetString(), v.GetStringLength()}; }

// Optimal string alignment distance, case-insensitive: one typo (insert, delete, change, swap) = 1.
std::size_t edit_distance(std::string_view a, std::string_view b) {
  auto fold = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
  std::vector<std::vector<std::size_t>> d(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
  for (std::size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (std::size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t cost = fold(a[i - 1]) == fold(b[j - 1]) ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && fold(a[i - 1]) == fold(b[j - 2]) && fold(a[i - 2]) == fold(b[j - 1]))
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.size()][b.size()];
}

bool is_var_name(std::string_view name) {
  if (name.empty()) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_' || (i > 0 && c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

// A decimal integer, optionally negative (so that "-5" can be reported as out of range).
bool parse_integer(std::string_view text, std::int64_t& out) {
  if (text.empty()) return false;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc{} && end == text.data() + text.size();
}

std::string integer_range(std::uint32_t min, std::uint32_t max) {
  return "must be an integer from " + std::to_string(min) + " to " + std::to_string(max);
}

}  // namespace

void fail(std::string path, std::string reason) { throw config_error(std::move(path), std::move(reason)); }

std::string join_path(std::string_view parent, std::string_view key) {
  std::string out(parent);
  if (!out.empty()) out.push_back('.');
  out.append(key);
  return out;
}

std::string quote(std::string_view s) {
  constexpr std::size_t limit = 80;
  std::string out;
  if (s.size() <= limit) {
    json::append_string(out, s);
    return out;
  }
  std::size_t cut = limit;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;  // whole UTF-8 characters
  json::append_string(out, s.substr(0, cut));
  out.insert(out.size() - 1, "...");
  return out;
}

std::string describe_type(const rapidjson::Value& v) {
  switch (v.GetType()) {
    case rapidjson::kNullType: return "null";
    case rapidjson::kFalseType:
    case rapidjson::kTrueType: return "a boolean";
    case rapidjson::kObjectType: return "an object";
    case rapidjson::kArrayType: return "an array";
    case rapidjson::kStringType: return "a string";
    case rapidjson::kNumberType: return "a number";
  }
  return "?";
}

std::string describe(const rapidjson::Value& v) {
  if (v.IsString()) return quote(view(v));
  if (v.IsObject() || v.IsArray()) return describe_type(v);
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  v.Accept(writer);
  return {buffer.GetString(), buffer.GetSize()};
}

std::string_view closest_key(std::string_view key, const std::vector<std::string_view>& known) {
  std::string_view best;
  std::size_t best_distance = key.size() >= 5 ? 3 : 2;  // accept at most 2 (1 for short keys)
  for (std::string_view candidate : known) {
    std::size_t d = edit_distance(key, candidate);
    if (d < best_distance) {
      best = candidate;
      best_distance = d;
    }
  }
  return best;
}

bool is_single_reference(std::string_view text) {
  return text.size() >= 4 && text.starts_with("${") && text.find('}') == text.size() - 1;
}

std::string expand_env(std::string_view text, const getenv_function& getenv, const std::string& path) {
  if (text.find('$') == std::string_view::npos) return std::string(text);
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    char c = text[i];
    if (c != '$') {
      out.push_back(c);
      ++i;
      continue;
    }
    if (i + 1 < text.size() && text[i + 1] == '$') {
      out.push_back('$');
      i += 2;
      continue;
    }
    if (i + 1 >= text.size() || text[i + 1] != '{')
      fail(path, "a \"$\" must start ${VAR} or ${VAR:-default}; write \"$$\" for a literal \"$\"");
    std::size_t close = text.find('}', i + 2);
    if (close == std::string_view::npos)
      fail(path, "unterminated \"${\" (write \"$$\" for a literal \"$\")");
    std::string_view inner = text.substr(i + 2, close - i - 2);
    std::string_view name = inner, fallback;
    bool has_default = false;
    if (std::size_t sep = inner.find(":-"); sep != std::string_view::npos) {
      name = inner.substr(0, sep);
      fallback = inner.substr(sep + 2);
      has_default = true;
    }
    if (!is_var_name(name))
      fail(path, "\"${" + std::string(inner) +
                     "}\" is not a valid reference (expected ${NAME} or ${NAME:-default}, NAME of letters, digits and _)");
    std::string name_text(name);
    const char* value = getenv ? getenv(name_text.c_str()) : nullptr;
    if (has_default) {
      out.append(value != nullptr && *value != '\0' ? std::string_view(value) : fallback);
    } else {
      if (value == nullptr) fail(path, "environment variable " + name_text + " is not set");
      out.append(value);
    }
    i = close + 1;
  }
  return out;
}

object_reader::object_reader(const rapidjson::Value& v, std::string path, const getenv_function& getenv,
                             std::initializer_list<std::string_view> known)
    : object_(v), path_(std::move(path)), getenv_(getenv) {
  if (!v.IsObject()) fail(path_.empty() ? "config" : path_, "must be an object (got " + describe(v) + ")");
  std::vector<std::string_view> known_keys(known);
  for (auto it = v.MemberBegin(); it != v.MemberEnd(); ++it) {
    std::string_view key = view(it->name);
    for (auto previous = v.MemberBegin(); previous != it; ++previous)
      if (view(previous->name) == key) fail(path_of(key), "given more than once");
    if (std::find(known_keys.begin(), known_keys.end(), key) == known_keys.end()) {
      std::string reason = "unknown key";
      if (auto best = closest_key(key, known_keys); !best.empty())
        reason += " (did you mean \"" + std::string(best) + "\"?)";
      fail(path_of(key), std::move(reason));
    }
  }
}

const rapidjson::Value* object_reader::find(std::string_view key) const {
  for (auto it = object_.MemberBegin(); it != object_.MemberEnd(); ++it)
    if (view(it->name) == key) return &it->value;
  return nullptr;
}

void object_reader::fail_at(std::string_view key, std::string reason) const { fail(path_of(key), std::move(reason)); }

bool object_reader::read_string(std::string_view key, std::string& out, string_rules rules) const {
  const rapidjson::Value* v = find(key);
  if (v == nullptr) return false;
  if (!v->IsString())
    fail_at(key, "must be a string (got " + (rules.is_secret ? describe_type(*v) : describe(*v)) + ")");
  std::string value = expand_env(view(*v), getenv_, path_of(key));
  if (value.empty() && !rules.may_be_empty) {
    std::string reason = "must not be empty";
    if (view(*v) != value) reason += " (it is empty after ${...} substitution)";
    fail_at(key, std::move(reason));
  }
  if (value.size() > rules.max_length)
    fail_at(key, "too long (" + std::to_string(value.size()) + " bytes, at most " + std::to_string(rules.max_length) + ")");
  for (char c : value)
    if (static_cast<unsigned char>(c) < 0x20) fail_at(key, "must not contain control characters");
  out = std::move(value);
  return true;
}

bool object_reader::read_uint(std::string_view key, std::uint32_t& out, std::uint32_t min, std::uint32_t max) const {
  const rapidjson::Value* v = find(key);
  if (v == nullptr) return false;
  std::int64_t number = 0;
  if (v->IsString()) {
    std::string_view text = view(*v);
    if (!is_single_reference(text))
      fail_at(key, integer_range(min, max) + " (got " + describe(*v) +
                       "; a string is only accepted as one ${VAR} reference)");
    std::string value = expand_env(text, getenv_, path_of(key));
    if (!parse_integer(value, number) || number < min || number > max)
      fail_at(key, integer_range(min, max) + " (got " + quote(value) + " from " + std::string(text) + ")");
  } else if (v->IsInt64() || v->IsUint64()) {
    if (v->IsUint64() && v->GetUint64() > max) fail_at(key, integer_range(min, max) + " (got " + describe(*v) + ")");
    number = v->IsInt64() ? v->GetInt64() : static_cast<std::int64_t>(max) + 1;
    if (number < min || number > max) fail_at(key, integer_range(min, max) + " (got " + describe(*v) + ")");
  } else {
    fail_at(key, integer_range(min, max) + " (got " + describe(*v) + ")");
  }
  out = static_cast<std::uint32_t>(number);
  return true;
}

bool object_reader::read_bool(std::string_view key, bool& out) const {
  const rapidjson::Value* v = find(key);
  if (v == nullptr) return false;
  if (v->IsBool()) {
    out = v->GetBool();
    return true;
  }
  if (v->IsString() && is_single_reference(view(*v))) {
    std::string value = expand_env(view(*v), getenv_, path_of(key));
    if (value == "true" || value == "false") {
      out = value == "true";
      return true;
    }
    fail_at(key, "must be true or false (got " + quote(value) + " from " + std::string(view(*v)) + ")");
  }
  std::string reason = "must be true or false (got " + describe(*v);
  if (v->IsString()) reason += "; a string is only accepted as one ${VAR} reference";
  fail_at(key, reason + ")");
}

std::string object_reader::require_string(std::string_view key, string_rules rules, std::string_view why) const {
  std::string out;
  if (!read_string(key, out, rules)) {
    std::string reason = "missing";
    if (!why.empty()) reason += " (" + std::string(why) + ")";
    fail_at(key, std::move(reason));
  }
  return out;
}

const rapidjson::Value* object_reader::find_object(std::string_view key) const {
  const rapidjson::Value* v = find(key);
  if (v != nullptr && !v->IsObject()) fail_at(key, "must be an object (got " + describe(*v) + ")");
  return v;
}

}  // namespace herald::config::detail
