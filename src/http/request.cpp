#include "faye/http/request.hpp"

namespace faye::http {

std::string_view Request::path() const {
  std::string_view t = target;
  return t.substr(0, t.find_first_of("?#"));
}

std::string_view Request::query() const {
  std::string_view t = target;
  std::size_t q = t.find('?');
  if (q == std::string_view::npos) return {};
  t.remove_prefix(q + 1);
  return t.substr(0, t.find('#'));
}

}  // namespace faye::http
