// Graceful shutdown, per event loop: the connections that a server handed
// over to someone else (WebSockets, EventSources) hear of it through their
// handler's on_shutdown() (net/connection.hpp), so that they can say goodbye
// (a WebSocket sends 1001 Going Away) before the loop winds down.
//
// The loop already lists its open connections, so listening costs a
// connection nothing: no registration, no links. Loop thread only.
#pragma once

#include <cstddef>

namespace faye::net {

class EventLoop;

// Calls on_shutdown() on the handler of every connection open on `loop` at
// this moment (a handler may close or abort any of them meanwhile; those
// closed before their turn are skipped). Returns how many were notified.
// Each call notifies again: a handler that must say goodbye once keeps
// track itself.
std::size_t notify_shutdown(EventLoop& loop);

}  // namespace faye::net
