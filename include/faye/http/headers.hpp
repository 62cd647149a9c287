// HTTP header fields in arrival order, looked up case-insensitively
// (RFC 9110 5.1). Repeated fields are kept as separate entries.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace faye::http {

// ASCII case-insensitive equality, inline: header lookups compare a name
// with every field's, and nearly all differ in length or are spelled alike.
inline bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  if (a == b) return true;  // a word at a time
  for (std::size_t i = 0; i < a.size(); ++i) {
    const auto x = static_cast<unsigned char>(a[i]);
    const auto y = static_cast<unsigned char>(b[i]);
    if (x == y) continue;
    // Only letters have a case, and their cases differ in bit 0x20 alone.
    const unsigned char folded = x | 0x20;
    if (folded != (y | 0x20) || folded < 'a' || folded > 'z') return false;
  }
  return true;
}

class Headers {
 public:
  using Field = std::pair<std::string, std::string>;

  Headers() = default;
  Headers(std::initializer_list<Field> fields) : fields_(fields) {}

  void add(std::string name, std::string value);
  // Room for `count` fields without reallocating (a parser's first field).
  void reserve(std::size_t count) { fields_.reserve(count); }
  // Replaces every field of that name with one.
  void set(std::string_view name, std::string value);
  void remove(std::string_view name);

  // The first field of that name.
  std::optional<std::string_view> get(std::string_view name) const;
  // All fields of that name joined with ", " (RFC 9110 5.3), or nullopt.
  std::optional<std::string> get_all(std::string_view name) const;
  bool contains(std::string_view name) const { return get(name).has_value(); }
  // True when a comma-separated list field (in any of its instances) contains
  // `token`, compared case-insensitively: `Connection: keep-alive, Upgrade`.
  bool has_token(std::string_view name, std::string_view token) const;

  std::size_t size() const { return fields_.size(); }
  bool empty() const { return fields_.empty(); }
  auto begin() const { return fields_.begin(); }
  auto end() const { return fields_.end(); }

 private:
  std::vector<Field> fields_;
};

// Splits a comma-separated list into trimmed, non-empty elements.
std::vector<std::string_view> split_list(std::string_view value);

}  // namespace faye::http
