#include "faye/http/headers.hpp"

#include <algorithm>
#include <functional>
#include <stdexcept>

namespace faye::http {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

Headers::Headers(std::initializer_list<Field> fields) {
  std::size_t bytes = 0;
  for (const auto& [name, value] : fields) bytes += name.size() + value.size();
  reserve(fields.size(), bytes);
  for (const auto& [name, value] : fields) add(name, value);
}

void Headers::add(std::string_view name, std::string_view value) {
  // A view of the storage itself (add(x, *get(y))) would not survive it
  // growing.
  std::string copy;
  detach(name, value, copy);
  // Offsets are 32 bits: a head is kilobytes, never gigabytes.
  if (text_.size() + name.size() + value.size() > UINT32_MAX) {
    throw std::length_error("HTTP header fields exceed 4 GiB");
  }
  const auto at = static_cast<std::uint32_t>(text_.size());
  spans_.push_back({at, static_cast<std::uint32_t>(name.size()),
                    static_cast<std::uint32_t>(at + name.size()),
                    static_cast<std::uint32_t>(value.size())});
  text_.append(name).append(value);
}

void Headers::assign(std::string_view text, std::span<const Span> spans) {
  for (const Span& span : spans) {
    if (std::uint64_t{span.name} + span.name_size > text.size() ||
        std::uint64_t{span.value} + span.value_size > text.size()) {
      throw std::out_of_range("Headers::assign: a field lies outside the text");
    }
  }
  if (text.size() > UINT32_MAX) throw std::length_error("HTTP header fields exceed 4 GiB");
  text_.assign(text);
  spans_.assign(spans.begin(), spans.end());
  removed_bytes_ = 0;
}

void Headers::detach(std::string_view& name, std::string_view& value, std::string& copy) const {
  const auto held = [this](std::string_view s) {
    return !s.empty() && std::less_equal<>()(text_.data(), s.data()) &&
           std::less<>()(s.data(), text_.data() + text_.size());
  };
  if (!held(name) && !held(value)) return;
  copy.assign(name).append(value);
  name = std::string_view(copy).substr(0, name.size());
  value = std::string_view(copy).substr(name.size());
}

void Headers::reserve(std::size_t count, std::size_t bytes) {
  spans_.reserve(count);
  text_.reserve(bytes);
}

void Headers::set(std::string_view name, std::string_view value) {
  // remove() may compact the storage, which either view may lie in.
  std::string copy;
  detach(name, value, copy);
  remove(name);
  add(name, value);
}

void Headers::remove(std::string_view name) {
  const auto removed = std::remove_if(spans_.begin(), spans_.end(), [&](const Span& span) {
    if (!iequals(name_of(span), name)) return false;
    removed_bytes_ += span.name_size + span.value_size;
    return true;
  });
  spans_.erase(removed, spans_.end());
  // Removed fields leave their text behind until it is most of the storage.
  if (removed_bytes_ > 256 && removed_bytes_ * 2 > text_.size()) {
    std::string kept;
    kept.reserve(text_.size() - removed_bytes_);
    for (Span& span : spans_) {
      const auto at = static_cast<std::uint32_t>(kept.size());
      kept.append(name_of(span)).append(value_of(span));
      span.name = at;
      span.value = at + span.name_size;
    }
    text_ = std::move(kept);
    removed_bytes_ = 0;
  }
}

bool operator==(const Headers& a, const Headers& b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end());
}

std::optional<std::string_view> Headers::get(std::string_view name) const {
  for (const Span& span : spans_) {
    if (iequals(name_of(span), name)) return value_of(span);
  }
  return std::nullopt;
}

std::optional<std::string> Headers::get_all(std::string_view name) const {
  std::optional<std::string> joined;
  for (const Span& span : spans_) {
    if (!iequals(name_of(span), name)) continue;
    const std::string_view value = value_of(span);
    if (joined) {
      joined->append(", ").append(value);
    } else {
      joined.emplace(value);
    }
  }
  return joined;
}

bool Headers::has_token(std::string_view name, std::string_view token) const {
  for (const Span& span : spans_) {
    if (!iequals(name_of(span), name)) continue;
    const std::string_view value = value_of(span);
    // Most such fields hold the one token ("Upgrade: websocket"), already
    // trimmed by the parser.
    if (!token.empty() && iequals(value, token)) return true;
    // split_list() in one pass, with no vector and no call per element: this
    // runs several times per handshake, on values of a word or two.
    const std::size_t size = value.size();
    std::size_t i = 0;
    while (i < size) {
      while (i < size && (value[i] == ' ' || value[i] == '\t' || value[i] == ',')) ++i;
      const std::size_t start = i;
      while (i < size && value[i] != ',') ++i;
      std::size_t end = i;
      while (end > start && (value[end - 1] == ' ' || value[end - 1] == '\t')) --end;
      if (end - start == token.size() && end != start &&
          iequals(value.substr(start, end - start), token)) {
        return true;
      }
    }
  }
  return false;
}

std::vector<std::string_view> split_list(std::string_view value) {
  std::vector<std::string_view> elements;
  while (!value.empty()) {
    std::size_t comma = value.find(',');
    std::string_view element = trim(value.substr(0, comma));
    if (!element.empty()) elements.push_back(element);
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
  return elements;
}

}  // namespace faye::http
