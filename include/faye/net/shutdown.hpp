// Graceful shutdown, per event loop: long-lived connections that a server
// handed over to someone else (WebSockets, EventSources) register here, and
// the server's stop() notifies them all so that they can say goodbye
// (a WebSocket sends 1001 Going Away) before the loop winds down.
//
// Loop thread only: register, unregister and notify on the loop's thread.
#pragma once

#include <cstdint>
#include <functional>

namespace faye::net {

class EventLoop;

using ShutdownToken = std::uint64_t;

ShutdownToken on_shutdown(EventLoop& loop, std::function<void()> callback);
void cancel_shutdown(EventLoop& loop, ShutdownToken token);
// Runs and forgets every callback registered on `loop`. Returns how many ran.
std::size_t notify_shutdown(EventLoop& loop);

}  // namespace faye::net
