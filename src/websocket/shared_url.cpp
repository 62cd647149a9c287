#include "shared_url.hpp"

#include <cstdint>
#include <new>
#include <stdexcept>

namespace faye::detail {

struct SharedUrl::Text {
  std::atomic<std::uint32_t> references;
  std::uint32_t size;
  char* characters() noexcept { return reinterpret_cast<char*>(this + 1); }
};

namespace {

// The URL made last on this thread, kept for the next socket (one reference).
thread_local SharedUrl last_made;

}  // namespace

SharedUrl::SharedUrl(const SharedUrl& other) noexcept : text_(other.text_) {
  // Relaxed, as for shared_ptr: a new reference comes from an existing one.
  if (text_) text_->references.fetch_add(1, std::memory_order_relaxed);
}

SharedUrl::~SharedUrl() {
  if (text_ && text_->references.fetch_sub(1, std::memory_order_acq_rel) == 1) {
    text_->~Text();
    ::operator delete(text_);
  }
}

std::string_view SharedUrl::view() const noexcept {
  return text_ ? std::string_view(text_->characters(), text_->size) : std::string_view();
}

std::uint32_t SharedUrl::use_count() const noexcept {
  return text_ ? text_->references.load(std::memory_order_relaxed) : 0;
}

SharedUrl SharedUrl::make(std::initializer_list<std::string_view> parts) {
  std::size_t size = 0;
  for (std::string_view part : parts) size += part.size();

  const std::string_view last = last_made.view();
  if (last_made.text_ && last.size() == size) {
    std::size_t at = 0;
    bool equal = true;
    for (std::string_view part : parts) {
      if (last.compare(at, part.size(), part) != 0) {
        equal = false;
        break;
      }
      at += part.size();
    }
    if (equal) return last_made;
  }

  // A URL comes from a request head, bounded well below 4 GiB.
  if (size > UINT32_MAX) throw std::length_error("SharedUrl: URL too long");
  void* memory = ::operator new(sizeof(Text) + size);
  Text* text = new (memory) Text{{1}, static_cast<std::uint32_t>(size)};
  char* end = text->characters();
  for (std::string_view part : parts) end += part.copy(end, part.size());
  SharedUrl made(text);
  last_made = made;
  return made;
}

}  // namespace faye::detail
