// Python's `websockets` as a real peer: tests/interop/python_echo_server.py
// run by /usr/bin/python3 as a child process on a port from the OS. The
// guard ends it by PID (SIGTERM, then SIGKILL) and reaps it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "integration/ws_test_client.hpp"

namespace faye::test {

inline std::filesystem::path source_dir() {
#ifdef FAYE_SOURCE_DIR
  return FAYE_SOURCE_DIR;
#else
  // tests/integration/python_peer.hpp -> the repository.
  return std::filesystem::path(__FILE__).parent_path().parent_path().parent_path();
#endif
}

inline constexpr const char* python_interpreter = "/usr/bin/python3";

// Whether the peer can run here (python3 with the websockets module).
inline bool python_websockets_available() {
  static const bool available = [] {
    if (!std::filesystem::exists(python_interpreter)) return false;
    try {
      ChildProcess probe({python_interpreter, "-c", "import websockets; print('ok')"});
      return probe.read_line() == "ok";
    } catch (const std::exception&) {
      return false;
    }
  }();
  return available;
}

class PythonEchoServer {
 public:
  // `subprotocols`: those the server speaks (it picks the client's first
  // match, or none).
  explicit PythonEchoServer(const std::vector<std::string>& subprotocols = {}) {
    const std::filesystem::path script = source_dir() / "tests/interop/python_echo_server.py";
    if (!std::filesystem::exists(script)) {
      throw std::runtime_error("missing " + script.string());
    }
    std::vector<std::string> argv{python_interpreter, script.string(), "--port", "0"};
    for (const std::string& protocol : subprotocols) {
      argv.push_back("--subprotocol");
      argv.push_back(protocol);
    }
    process_ = std::make_unique<ChildProcess>(argv);
    const std::string line = process_->read_line();
    const std::string prefix = "listening on ";
    if (!line.starts_with(prefix)) {
      throw std::runtime_error("python_echo_server.py said '" + line + "'");
    }
    port_ = static_cast<std::uint16_t>(std::stoi(line.substr(prefix.size())));
  }

  std::uint16_t port() const { return port_; }
  std::string url(const std::string& path = "/") const {
    return "ws://127.0.0.1:" + std::to_string(port_) + path;
  }
  // The next line the server printed: "closed CODE REASON" when a
  // connection ended.
  std::string read_line(std::chrono::milliseconds timeout = io_timeout) {
    return process_->read_line(timeout);
  }
  bool running() { return process_->running(); }

 private:
  std::unique_ptr<ChildProcess> process_;
  std::uint16_t port_ = 0;
};

}  // namespace faye::test
