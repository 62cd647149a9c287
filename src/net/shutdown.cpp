#include "faye/net/shutdown.hpp"

#include <map>
#include <unordered_map>
#include <vector>

namespace faye::net {
namespace {

// Every access is on the loop's own thread, so a thread-local table needs no
// lock; keying by loop keeps several loops run in turn by one thread apart.
struct Registry {
  ShutdownToken next = 1;
  std::unordered_map<const EventLoop*, std::map<ShutdownToken, std::function<void()>>> callbacks;
};

Registry& registry() {
  thread_local Registry instance;
  return instance;
}

}  // namespace

ShutdownToken on_shutdown(EventLoop& loop, std::function<void()> callback) {
  Registry& r = registry();
  ShutdownToken token = r.next++;
  r.callbacks[&loop].emplace(token, std::move(callback));
  return token;
}

void cancel_shutdown(EventLoop& loop, ShutdownToken token) {
  Registry& r = registry();
  auto it = r.callbacks.find(&loop);
  if (it == r.callbacks.end()) return;
  it->second.erase(token);
  if (it->second.empty()) r.callbacks.erase(it);
}

std::size_t notify_shutdown(EventLoop& loop) {
  Registry& r = registry();
  auto it = r.callbacks.find(&loop);
  if (it == r.callbacks.end()) return 0;
  auto callbacks = std::move(it->second);
  r.callbacks.erase(it);
  for (auto& [token, callback] : callbacks) callback();
  return callbacks.size();
}

}  // namespace faye::net
