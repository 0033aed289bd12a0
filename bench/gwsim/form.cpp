#include "form.hpp"

#include <algorithm>
#include <cstdint>

namespace gwsim {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::optional<std::string> url_decode(std::string_view encoded) {
  std::string out;
  out.reserve(encoded.size());
  // request_data is most of a call's bytes: runs without '+' or '%' are copied whole.
  std::size_t run = 0;
  for (std::size_t i = 0; i < encoded.size(); ++i) {
    const char c = encoded[i];
    if (c != '+' && c != '%') continue;
    out.append(encoded.data() + run, i - run);
    run = i + 1;
    if (c == '+') {
      out.push_back(' ');
    } else {
      if (i + 2 >= encoded.size()) return std::nullopt;  // needs two hex digits
      const int hi = hex_value(encoded[i + 1]);
      const int lo = hex_value(encoded[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
      run = i + 1;
    }
  }
  out.append(encoded.data() + run, encoded.size() - run);
  return out;
}

std::optional<Form> parse_form(std::string_view body, std::string* error) {
  Form form;
  form.reserve(8);
  std::size_t pos = 0;
  while (pos <= body.size()) {
    std::size_t end = body.find('&', pos);
    if (end == std::string_view::npos) end = body.size();
    const std::string_view pair = body.substr(pos, end - pos);
    pos = end + 1;
    if (pair.empty()) continue;
    const std::size_t eq = pair.find('=');
    const std::string_view raw_name = pair.substr(0, eq);
    const std::string_view raw_value =
        eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1);
    auto name = url_decode(raw_name);
    auto value = name ? url_decode(raw_value) : std::nullopt;
    if (!name || !value) {
      if (error) {
        *error = "malformed percent-encoding in form field ";
        error->append(raw_name.substr(0, 64));
      }
      return std::nullopt;
    }
    form.push_back(FormField{std::move(*name), std::move(*value)});
  }
  return form;
}

std::optional<std::string> form_value(std::string_view encoded, std::string_view name) {
  std::size_t pos = 0;
  while (pos <= encoded.size()) {
    std::size_t end = encoded.find('&', pos);
    if (end == std::string_view::npos) end = encoded.size();
    const std::string_view pair = encoded.substr(pos, end - pos);
    pos = end + 1;
    const std::size_t eq = pair.find('=');
    const std::string_view raw_name = pair.substr(0, eq);
    // Names are plain ASCII in practice; decode one only when it could differ from its text.
    const bool same = raw_name.find_first_of("%+") == std::string_view::npos
                          ? raw_name == name
                          : url_decode(raw_name) == std::optional<std::string>(std::string(name));
    if (!same) continue;
    return url_decode(eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1));
  }
  return std::nullopt;
}

const std::string* find_field(const Form& form, std::string_view name) {
  for (const auto& f : form)
    if (f.name == name) return &f.value;
  return nullptr;
}

std::string_view first_duplicate_name(const Form& form) {
  // Forms have a handful of fields: quadratic is cheaper than a set.
  for (std::size_t i = 0; i < form.size(); ++i)
    for (std::size_t j = i + 1; j < form.size(); ++j)
      if (form[i].name == form[j].name) return form[i].name;
  return {};
}

bool is_valid_utf8(std::string_view bytes) {
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  const auto* end = p + bytes.size();
  while (p < end) {
    const unsigned char c = *p;
    if (c < 0x80) {
      ++p;
      continue;
    }
    int len;
    std::uint32_t cp;
    if ((c & 0xE0) == 0xC0) {
      len = 2;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (end - p < len) return false;
    for (int k = 1; k < len; ++k) {
      if ((p[k] & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (p[k] & 0x3F);
    }
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000))
      return false;  // overlong
    if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    p += len;
  }
  return true;
}

std::string url_encode(std::string_view raw) {
  static constexpr char digits[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(raw.size() * 3);
  for (const char ch : raw) {
    const auto c = static_cast<unsigned char>(ch);
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '_' || c == '.' || c == '~') {
      out.push_back(ch);
    } else {
      out.push_back('%');
      out.push_back(digits[c >> 4]);
      out.push_back(digits[c & 0x0F]);
    }
  }
  return out;
}

}  // namespace gwsim
