// faye::EventHandler: what a WebSocket's onopen, onmessage, ... hold. It is
// used like the std::function it replaces (assign any callable, nullptr or a
// std::function; copy; test; call), in 16 bytes instead of 32: every socket
// has five, most of them empty, and an idle server holds thousands of sockets.
//
//   ws->onmessage = [ws](const faye::MessageEvent& e) { ws->send(e.data); };
//   if (ws->onclose) ...
//   ws->onclose = nullptr;
//
// A callable of at most 8 bytes that is trivially copyable (a lambda that
// captures nothing, one pointer or one reference; a function pointer) lives
// inside the handler; any other (a lambda capturing a shared_ptr or a string,
// a std::function) is copied to the heap, as std::function would.
//
// As with std::function, assigning to a handler destroys the callable it held
// at once: a handler that replaces itself while it runs must not touch its
// own captures afterwards. Clearing it (= nullptr) leaves a callable kept
// inside the handler as it was, as libstdc++'s std::function does, so a small
// handler may clear itself and go on (`[ws] { ws->onmessage = nullptr;
// ws->send("bye"); }`).
#pragma once

#include <cstddef>
#include <functional>
#include <new>
#include <type_traits>
#include <utility>

namespace faye {

template <class Signature>
class EventHandler;

namespace detail {

// The wrappers that may themselves be empty: an empty one gives an empty
// handler, as std::function does.
template <class T>
inline constexpr bool is_function_wrapper = false;
template <class Signature>
inline constexpr bool is_function_wrapper<std::function<Signature>> = true;
template <class Signature>
inline constexpr bool is_function_wrapper<EventHandler<Signature>> = true;

}  // namespace detail

template <class R, class... Args>
class EventHandler<R(Args...)> {
 public:
  EventHandler() noexcept = default;
  EventHandler(std::nullptr_t) noexcept {}  // NOLINT: implicit, as std::function's

  template <class F>
    requires(!std::is_same_v<std::remove_cvref_t<F>, EventHandler> &&
             std::is_invocable_r_v<R, std::decay_t<F>&, Args...> &&
             std::is_copy_constructible_v<std::decay_t<F>>)
  EventHandler(F&& callable) {  // NOLINT: implicit, as std::function's
    using T = std::decay_t<F>;
    if (is_empty(static_cast<const T&>(callable))) return;
    if constexpr (fits_inline<T>) {
      ::new (static_cast<void*>(storage_.bytes)) T(std::forward<F>(callable));
      ops_ = &inline_ops<T>;
    } else {
      storage_.box = new T(std::forward<F>(callable));
      ops_ = &boxed_ops<T>;
    }
  }

  EventHandler(const EventHandler& other) : storage_(other.storage_), ops_(other.ops_) {
    if (ops_ != nullptr && ops_->copy != nullptr) ops_->copy(storage_, other.storage_);
  }
  // Either kind moves as its 8 bytes: the callable itself (trivially
  // copyable) or the pointer to its box.
  EventHandler(EventHandler&& other) noexcept
      : storage_(other.storage_), ops_(std::exchange(other.ops_, nullptr)) {}

  ~EventHandler() {
    if (ops_ != nullptr && ops_->destroy != nullptr) ops_->destroy(storage_);
  }

  // Each leaves this handler holding the new callable before the old one is
  // destroyed (so a destructor that looks at the handler sees the new one).
  EventHandler& operator=(const EventHandler& other) {
    EventHandler(other).swap(*this);
    return *this;
  }
  EventHandler& operator=(EventHandler&& other) noexcept {
    EventHandler(std::move(other)).swap(*this);
    return *this;
  }
  EventHandler& operator=(std::nullptr_t) noexcept {
    // Emptied first (a destructor that looks at the handler sees it empty);
    // the bytes stay, see above.
    const Ops* ops = std::exchange(ops_, nullptr);
    if (ops != nullptr && ops->destroy != nullptr) ops->destroy(storage_);
    return *this;
  }
  template <class F>
    requires std::is_constructible_v<EventHandler, F>
  EventHandler& operator=(F&& callable) {
    EventHandler(std::forward<F>(callable)).swap(*this);
    return *this;
  }

  void swap(EventHandler& other) noexcept {
    std::swap(storage_, other.storage_);
    std::swap(ops_, other.ops_);
  }
  friend void swap(EventHandler& a, EventHandler& b) noexcept { a.swap(b); }

  explicit operator bool() const noexcept { return ops_ != nullptr; }
  friend bool operator==(const EventHandler& handler, std::nullptr_t) noexcept {
    return handler.ops_ == nullptr;
  }

  // Calls the callable (as a non-const lvalue, as std::function does, so a
  // mutable lambda keeps its state from call to call). Throws
  // std::bad_function_call when empty.
  R operator()(Args... args) const {
    if (ops_ == nullptr) throw std::bad_function_call();
    return ops_->invoke(storage_, std::forward<Args>(args)...);
  }

 private:
  union Storage {
    void* box;
    alignas(void*) unsigned char bytes[sizeof(void*)];
  };

  // One static table per callable type and kind of storage.
  struct Ops {
    R (*invoke)(Storage& storage, Args&&... args);
    void (*copy)(Storage& to, const Storage& from);  // null: the bytes are the callable
    void (*destroy)(Storage& storage) noexcept;      // null: nothing to destroy
  };

  template <class T>
  static constexpr bool fits_inline = sizeof(T) <= sizeof(Storage) &&
                                      alignof(T) <= alignof(Storage) &&
                                      std::is_trivially_copyable_v<T>;

  template <class T>
  static bool is_empty(const T& callable) noexcept {
    if constexpr (std::is_pointer_v<T> || std::is_member_pointer_v<T>) {
      return callable == nullptr;
    } else if constexpr (detail::is_function_wrapper<T>) {
      return !callable;
    } else {
      return false;
    }
  }

  template <class T>
  static R call(T& callable, Args&&... args) {
    if constexpr (std::is_void_v<R>) {
      std::invoke(callable, std::forward<Args>(args)...);
    } else {
      return std::invoke(callable, std::forward<Args>(args)...);
    }
  }

  template <class T>
  static constexpr Ops inline_ops{
      [](Storage& storage, Args&&... args) -> R {
        return call(*std::launder(reinterpret_cast<T*>(storage.bytes)),
                    std::forward<Args>(args)...);
      },
      nullptr, nullptr};

  template <class T>
  static constexpr Ops boxed_ops{
      [](Storage& storage, Args&&... args) -> R {
        return call(*static_cast<T*>(storage.box), std::forward<Args>(args)...);
      },
      [](Storage& to, const Storage& from) {
        to.box = new T(*static_cast<const T*>(from.box));
      },
      [](Storage& storage) noexcept { delete static_cast<T*>(storage.box); }};

  mutable Storage storage_{};
  const Ops* ops_ = nullptr;
};

}  // namespace faye
