// A socket's URL, shared by the sockets a thread makes for the same one.
//
// A server's sockets mostly share one URL ("wss://example.com/chat"), and
// one copy each costs an idle socket a 32-byte heap chunk (about 6% of it)
// and every handshake an allocation. make() hands out the URL made last on
// the calling thread when the new one is equal: one comparison and an atomic
// increment. Different URLs (query strings) simply get their own copy.
//
// The count is atomic because a socket may be destroyed on any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <initializer_list>
#include <string_view>
#include <utility>

namespace faye::detail {

class SharedUrl {
 public:
  SharedUrl() noexcept = default;
  SharedUrl(const SharedUrl& other) noexcept;
  SharedUrl(SharedUrl&& other) noexcept : text_(other.text_) { other.text_ = nullptr; }
  SharedUrl& operator=(SharedUrl other) noexcept {
    std::swap(text_, other.text_);
    return *this;
  }
  ~SharedUrl();

  // The concatenation of `parts`.
  static SharedUrl make(std::initializer_list<std::string_view> parts);

  // "" for a default-constructed one.
  std::string_view view() const noexcept;
  // How many SharedUrls hold this text (for tests).
  std::uint32_t use_count() const noexcept;

 private:
  struct Text;  // the count, the size, then the characters
  explicit SharedUrl(Text* text) noexcept : text_(text) {}

  Text* text_ = nullptr;
};

}  // namespace faye::detail
