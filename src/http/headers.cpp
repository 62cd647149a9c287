#include "faye/http/headers.hpp"

#include <algorithm>

namespace faye::http {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

void Headers::add(std::string name, std::string value) {
  fields_.emplace_back(std::move(name), std::move(value));
}

void Headers::set(std::string_view name, std::string value) {
  remove(name);
  fields_.emplace_back(std::string(name), std::move(value));
}

void Headers::remove(std::string_view name) {
  std::erase_if(fields_, [&](const Field& f) { return iequals(f.first, name); });
}

std::optional<std::string_view> Headers::get(std::string_view name) const {
  for (const auto& [key, value] : fields_) {
    if (iequals(key, name)) return std::string_view(value);
  }
  return std::nullopt;
}

std::optional<std::string> Headers::get_all(std::string_view name) const {
  std::optional<std::string> joined;
  for (const auto& [key, value] : fields_) {
    if (!iequals(key, name)) continue;
    if (joined) {
      joined->append(", ").append(value);
    } else {
      joined = value;
    }
  }
  return joined;
}

bool Headers::has_token(std::string_view name, std::string_view token) const {
  for (const auto& [key, value] : fields_) {
    if (!iequals(key, name)) continue;
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
          iequals(std::string_view(value).substr(start, end - start), token)) {
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
