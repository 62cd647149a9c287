// HTTP CONNECT tunnels (RFC 9110 9.3.6) for clients behind a proxy: a Tunnel
// step for net::Connector that asks the proxy for a connection to the origin
// and hands the stream on once the proxy agrees (TLS then runs inside).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "faye/http/headers.hpp"
#include "faye/http/url.hpp"
#include "faye/net/connector.hpp"

namespace faye::net {

struct ProxyTunnelOptions {
  std::string host{};        // the origin to reach through the proxy
  std::uint16_t port = 0;
  http::Url proxy{};         // its userinfo, if any, becomes Proxy-Authorization: Basic
  http::Headers headers{};   // extra headers for the CONNECT request
  std::chrono::milliseconds timeout{10'000};
  std::size_t max_response_head = 16 * 1024;
};

// A refusal (407, 403, 502, ...) fails with an error whose message names the
// proxy's status line.
ConnectOptions::Tunnel http_connect_tunnel(EventLoop& loop, ProxyTunnelOptions options);

// The category of proxy refusals: the value is the HTTP status.
const std::error_category& proxy_category() noexcept;

}  // namespace faye::net
