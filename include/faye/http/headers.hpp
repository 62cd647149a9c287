// HTTP header fields in arrival order, looked up case-insensitively
// (RFC 9110 5.1). Repeated fields are kept as separate entries.
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <iterator>
#include <optional>
#include <span>
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
  // A field as the headers hold it: views of their storage, valid until the
  // headers are next changed (as a vector's elements are).
  using Field = std::pair<std::string_view, std::string_view>;

  class const_iterator;

  Headers() = default;
  Headers(std::initializer_list<Field> fields);

  void add(std::string_view name, std::string_view value);
  // Room for `count` fields of `bytes` name and value characters in all
  // without reallocating (a parser, before its first field).
  void reserve(std::size_t count, std::size_t bytes = 0);

  // Where a field's name and value lie in a text: offsets from its start.
  struct Span {
    std::uint32_t name, name_size, value, value_size;
  };
  // Replaces the fields with those of `spans`, all within `text` (a parsed
  // head's field lines), taking one copy of `text`: how a parser hands over
  // a head's fields in one piece. Throws std::out_of_range for a span
  // outside `text`.
  void assign(std::string_view text, std::span<const Span> spans);
  // Replaces every field of that name with one.
  void set(std::string_view name, std::string_view value);
  void remove(std::string_view name);
  // Removes every field, keeping the storage.
  void clear() noexcept {
    text_.clear();
    spans_.clear();
    removed_bytes_ = 0;
  }

  // The first field of that name.
  std::optional<std::string_view> get(std::string_view name) const;
  // All fields of that name joined with ", " (RFC 9110 5.3), or nullopt.
  std::optional<std::string> get_all(std::string_view name) const;
  bool contains(std::string_view name) const { return get(name).has_value(); }
  // True when a comma-separated list field (in any of its instances) contains
  // `token`, compared case-insensitively: `Connection: keep-alive, Upgrade`.
  bool has_token(std::string_view name, std::string_view token) const;

  std::size_t size() const { return spans_.size(); }
  bool empty() const { return spans_.empty(); }
  const_iterator begin() const;
  const_iterator end() const;

  friend bool operator==(const Headers& a, const Headers& b);

 private:
  // Every name and value lies in one string, and a field is where its two
  // lie (a Span): a parsed request's fields cost two allocations, not one
  // or two each (a WebSocket handshake's key and version fields outgrow a
  // std::string's own buffer), and freeing them as few.
  Field field(const Span& span) const noexcept { return {name_of(span), value_of(span)}; }
  std::string_view name_of(const Span& span) const noexcept {
    return {text_.data() + span.name, span.name_size};
  }
  std::string_view value_of(const Span& span) const noexcept {
    return {text_.data() + span.value, span.value_size};
  }
  // Points `name` and `value` at a copy in `copy` when either lies in the
  // storage, which changing the headers may move.
  void detach(std::string_view& name, std::string_view& value, std::string& copy) const;

  std::string text_;
  std::vector<Span> spans_;
  std::size_t removed_bytes_ = 0;  // in text_, of removed fields
};

class Headers::const_iterator {
 public:
  // A forward iterator whose fields are values (made from their Span), so
  // an input iterator to code that expects a Field& from operator*.
  using iterator_concept = std::forward_iterator_tag;
  using iterator_category = std::input_iterator_tag;
  using value_type = Field;
  using difference_type = std::ptrdiff_t;
  using reference = Field;
  using pointer = void;

  const_iterator() = default;
  Field operator*() const noexcept { return headers_->field(*span_); }
  // it->first: the field is made on the spot, so -> returns it boxed.
  struct Arrow {
    Field field;
    const Field* operator->() const noexcept { return &field; }
  };
  Arrow operator->() const noexcept { return {**this}; }
  const_iterator& operator++() noexcept {
    ++span_;
    return *this;
  }
  const_iterator operator++(int) noexcept {
    const_iterator before = *this;
    ++span_;
    return before;
  }
  friend bool operator==(const const_iterator& a, const const_iterator& b) noexcept {
    return a.span_ == b.span_;
  }

 private:
  friend class Headers;
  const_iterator(const Headers* headers, const Span* span) noexcept
      : headers_(headers), span_(span) {}

  const Headers* headers_ = nullptr;
  const Span* span_ = nullptr;
};

inline Headers::const_iterator Headers::begin() const {
  return {this, spans_.data()};
}
inline Headers::const_iterator Headers::end() const {
  return {this, spans_.data() + spans_.size()};
}

// Splits a comma-separated list into trimmed, non-empty elements.
std::vector<std::string_view> split_list(std::string_view value);

}  // namespace faye::http
