#include "faye/driver/extensions.hpp"

#include <algorithm>
#include <stdexcept>

#include "faye/driver/frame.hpp"

namespace faye::driver {
namespace {

// As Hybi's message buffer: keep a small buffer for the next message, drop
// a large one so that an idle connection holds none.
constexpr std::size_t kRetainedBufferCapacity = 4096;

void trim(std::string& buffer) {
  buffer.clear();
  if (buffer.capacity() > kRetainedBufferCapacity) std::string().swap(buffer);
}

std::size_t heap_bytes(const std::string& buffer) {
  // A string's own storage (small-string optimization) is not on the heap.
  return buffer.capacity() > std::string().capacity() ? buffer.capacity() + 1 : 0;
}

void check_registry(const ExtensionList& registered) {
  for (std::size_t i = 0; i < registered.size(); ++i) {
    if (!registered[i]) throw std::invalid_argument("null extension registered");
    std::string_view name = registered[i]->name();
    if (!is_token(name)) {
      throw std::invalid_argument("extension name is not a token: '" + std::string(name) + "'");
    }
    if (registered[i]->rsv() & ~(kRsv1 | kRsv2 | kRsv3)) {
      throw std::invalid_argument("extension '" + std::string(name) + "' claims non-RSV bits");
    }
    for (std::size_t j = 0; j < i; ++j) {
      if (registered[j]->name() == name) {
        throw std::invalid_argument("extension '" + std::string(name) + "' registered twice");
      }
    }
  }
}

}  // namespace

std::string Extensions::generate_offer(const ExtensionList& registered) {
  check_registry(registered);
  offered_.clear();
  std::string header;
  for (const auto& extension : registered) {
    auto session = extension->create_client_session();
    if (!session) continue;
    std::vector<ExtensionParams> offers = session->generate_offer();
    if (offers.empty()) continue;
    for (const ExtensionParams& params : offers) {
      if (!header.empty()) header.append(", ");
      header.append(serialize_extension(extension->name(), params));
    }
    offered_.push_back({std::string(extension->name()), extension->rsv(), std::move(session)});
  }
  return header;
}

bool Extensions::activate(std::string_view response, std::string& error) {
  ParsedExtensions parsed = parse_extension_header(response);
  if (!parsed) {
    error = "malformed Sec-WebSocket-Extensions: " + parsed.error;
    return false;
  }
  for (ExtensionOffer& accepted : parsed.offers) {
    auto it = std::find_if(offered_.begin(), offered_.end(),
                           [&](const Offered& o) { return o.name == accepted.name; });
    if (it == offered_.end()) {
      bool again = std::any_of(active_.begin(), active_.end(),
                               [&](const Active& a) { return a.name == accepted.name; });
      error = again ? "server accepted extension '" + accepted.name + "' twice"
                    : "server negotiated extension '" + accepted.name + "' which was not offered";
      return false;
    }
    // RFC 6455 9.1 leaves one extension per RSV bit: two claiming the same
    // bit could not tell their frames apart.
    if (it->rsv & rsv_) {
      error = "server accepted extensions sharing an RSV bit ('" + accepted.name + "')";
      return false;
    }
    if (!it->session->activate(accepted.params)) {
      error = "server answered with parameters that were not offered: " +
              serialize_extension(accepted.name, accepted.params);
      return false;
    }
    rsv_ |= it->rsv;
    active_.push_back({std::move(it->name), it->rsv, std::move(it->session)});
    offered_.erase(it);
  }
  offered_.clear();
  return true;
}

bool Extensions::generate_response(const ExtensionList& registered, std::string_view offer,
                                   std::string& response, std::string& error) {
  check_registry(registered);
  ParsedExtensions parsed = parse_extension_header(offer);
  if (!parsed) {
    error = "malformed Sec-WebSocket-Extensions: " + parsed.error;
    return false;
  }
  response.clear();
  for (const auto& extension : registered) {
    std::vector<ExtensionParams> offers;
    for (const ExtensionOffer& o : parsed.offers) {
      if (o.name == extension->name()) offers.push_back(o.params);
    }
    if (offers.empty() || (extension->rsv() & rsv_)) continue;
    auto session = extension->create_server_session(offers);
    if (!session) continue;
    if (!response.empty()) response.append(", ");
    response.append(serialize_extension(extension->name(), session->generate_response()));
    rsv_ |= extension->rsv();
    active_.push_back({std::string(extension->name()), extension->rsv(), std::move(session)});
  }
  return true;
}

ExtensionStatus Extensions::process_incoming(ExtensionMessage& message) {
  return run(message, true);
}

ExtensionStatus Extensions::process_outgoing(ExtensionMessage& message) {
  return run(message, false);
}

ExtensionStatus Extensions::run(ExtensionMessage& message, bool incoming) {
  std::string* buffers = incoming ? incoming_ : outgoing_;
  for (std::size_t i = 0; i < active_.size(); ++i) {
    ExtensionSession& session = *active_[incoming ? active_.size() - 1 - i : i].session;
    // Write into the buffer the current payload does not live in.
    std::string& out =
        message.data.data() == reinterpret_cast<const std::uint8_t*>(buffers[0].data())
            ? buffers[1]
            : buffers[0];
    out.clear();
    ExtensionStatus status = incoming ? session.process_incoming(message, out)
                                      : session.process_outgoing(message, out);
    if (!status.ok()) return status;
  }
  return {};
}

void Extensions::release_incoming() {
  trim(incoming_[0]);
  trim(incoming_[1]);
}

void Extensions::release_outgoing() {
  trim(outgoing_[0]);
  trim(outgoing_[1]);
}

void Extensions::close() {
  for (Active& active : active_) active.session->close();
  offered_.clear();
  for (std::string* buffer : {&incoming_[0], &incoming_[1], &outgoing_[0], &outgoing_[1]}) {
    std::string().swap(*buffer);
  }
}

std::size_t Extensions::memory_usage() const {
  std::size_t total = heap_bytes(incoming_[0]) + heap_bytes(incoming_[1]) +
                      heap_bytes(outgoing_[0]) + heap_bytes(outgoing_[1]);
  for (const Active& active : active_) total += active.session->memory_usage();
  return total;
}

}  // namespace faye::driver
