// HTTP header fields in arrival order, looked up case-insensitively
// (RFC 9110 5.1). Repeated fields are kept as separate entries.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace faye::http {

bool iequals(std::string_view a, std::string_view b) noexcept;

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
