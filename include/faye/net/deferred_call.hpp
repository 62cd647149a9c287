// A call queued by EventLoop::defer(): the callable is kept in place, so that
// queueing it costs no allocation. Small by contract: its captures (a
// shared_ptr keeping an object alive, a flag or two) must fit in 48 bytes,
// which the constructor checks at compile time.
#pragma once

#include <cstddef>
#include <new>
#include <type_traits>
#include <utility>

namespace faye::net::detail {

class DeferredCall {
 public:
  static constexpr std::size_t capacity = 48;

  template <class F, class Fn = std::decay_t<F>,
            class = std::enable_if_t<!std::is_same_v<Fn, DeferredCall>>>
  explicit DeferredCall(F&& fn) noexcept(std::is_nothrow_constructible_v<Fn, F>) {
    static_assert(sizeof(Fn) <= capacity && alignof(Fn) <= alignof(std::max_align_t),
                  "a deferred call keeps at most 48 bytes of captures");
    static_assert(std::is_nothrow_move_constructible_v<Fn>,
                  "a deferred call moves when its queue grows");
    ::new (static_cast<void*>(storage_)) Fn(std::forward<F>(fn));
    ops_ = &ops_for<Fn>;
  }
  DeferredCall(DeferredCall&& other) noexcept : ops_(std::exchange(other.ops_, nullptr)) {
    if (ops_) ops_->relocate(storage_, other.storage_);
  }
  DeferredCall& operator=(DeferredCall&&) = delete;
  DeferredCall(const DeferredCall&) = delete;
  DeferredCall& operator=(const DeferredCall&) = delete;
  ~DeferredCall() {
    if (ops_) ops_->destroy(storage_);
  }

  void operator()() { ops_->invoke(storage_); }

 private:
  struct Ops {
    void (*invoke)(void* fn);
    void (*relocate)(void* to, void* from) noexcept;  // move-constructs, destroys `from`
    void (*destroy)(void* fn) noexcept;
  };
  template <class Fn>
  static constexpr Ops ops_for{
      [](void* fn) { (*static_cast<Fn*>(fn))(); },
      [](void* to, void* from) noexcept {
        ::new (to) Fn(std::move(*static_cast<Fn*>(from)));
        static_cast<Fn*>(from)->~Fn();
      },
      [](void* fn) noexcept { static_cast<Fn*>(fn)->~Fn(); },
  };

  alignas(std::max_align_t) unsigned char storage_[capacity];
  const Ops* ops_ = nullptr;
};

}  // namespace faye::net::detail
