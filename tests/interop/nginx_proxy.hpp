// nginx as a reverse proxy in front of a backend on 127.0.0.1, configured
// from tests/interop/nginx_websocket_proxy.conf in a temporary directory that
// holds everything it writes (removed by the destructor). Plain (ws://) or
// terminating TLS (wss://) with a certificate the test provides.
//
// nginx cannot listen on port 0 and say which port it got, so the proxy
// takes a free port from the OS (bind 0, read it, close) and starts again on
// another when nginx loses the race for it. It is ready once it has written
// its pid file, which nginx does only after binding, and accepts a TCP
// connection. The destructor ends it by PID (ChildProcess: SIGTERM, then
// SIGKILL) and reaps it.
//
// A missing nginx is an error (scripts/deps installs it): the constructor
// throws, and GoogleTest reports the test as failed.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "integration/python_peer.hpp"  // source_dir()
#include "integration/tls_certificates.hpp"
#include "integration/ws_test_client.hpp"

namespace faye::test {

// nginx on the PATH, else the Debian package's /usr/sbin/nginx (which a
// normal user's PATH often lacks).
inline std::filesystem::path nginx_binary() {
  if (const char* path = std::getenv("PATH")) {
    std::stringstream directories(path);
    std::string directory;
    while (std::getline(directories, directory, ':')) {
      if (directory.empty()) continue;
      const std::filesystem::path candidate = std::filesystem::path(directory) / "nginx";
      if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    }
  }
  return "/usr/sbin/nginx";
}

class NginxProxy {
 public:
  // `tls`: terminate TLS with this certificate and key; plain when absent.
  explicit NginxProxy(std::uint16_t backend_port, std::optional<CertificateFiles> tls = {})
      : tls_(std::move(tls)) {
    const std::filesystem::path nginx = nginx_binary();
    if (::access(nginx.c_str(), X_OK) != 0) {
      throw std::runtime_error(
          "nginx is not installed (not on the PATH, no /usr/sbin/nginx): run scripts/deps");
    }
    std::string pattern = (std::filesystem::temp_directory_path() / "faye-nginx-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) fail_errno("mkdtemp");
    prefix_ = pattern;
    constexpr int attempts = 5;
    for (int attempt = 1; attempt <= attempts; ++attempt) {
      port_ = free_port();
      write_config(backend_port);
      std::error_code ignored;
      std::filesystem::remove(prefix_ / "error.log", ignored);
      process_ = std::make_unique<ChildProcess>(std::vector<std::string>{
          nginx.string(), "-p", prefix_.string() + "/", "-c", (prefix_ / "nginx.conf").string(),
          "-e", (prefix_ / "error.log").string(), "-g", "daemon off;"});
      if (wait_ready()) return;
      process_.reset();
      if (error_log().find("Address already in use") == std::string::npos) break;
    }
    const std::string log = error_log();
    std::error_code ignored;
    std::filesystem::remove_all(prefix_, ignored);
    throw std::runtime_error("nginx did not start; its error log:\n" + log);
  }
  NginxProxy(const NginxProxy&) = delete;
  NginxProxy& operator=(const NginxProxy&) = delete;
  ~NginxProxy() {
    process_.reset();  // stopped and reaped before its files go
    std::error_code ignored;
    std::filesystem::remove_all(prefix_, ignored);
  }

  std::uint16_t port() const { return port_; }
  std::string url(const std::string& path = "/") const {
    return std::string(tls_ ? "wss" : "ws") + "://127.0.0.1:" + std::to_string(port_) + path;
  }
  std::string error_log() const { return read_file(prefix_ / "error.log"); }
  // One line per finished request: `STATUS BYTES_SENT "REQUEST" "EXTENSIONS"`.
  std::string access_log() const { return read_file(prefix_ / "access.log"); }

 private:
  static std::uint16_t free_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) fail_errno("socket");
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t size = sizeof address;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size) != 0) {
      const int saved = errno;
      ::close(fd);
      errno = saved;
      fail_errno("bind a free port");
    }
    ::close(fd);
    return ntohs(address.sin_port);
  }

  static std::string read_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
  }

  static void replace_all(std::string& text, const std::string& from, const std::string& to) {
    for (std::size_t at = 0; (at = text.find(from, at)) != std::string::npos; at += to.size()) {
      text.replace(at, from.size(), to);
    }
  }

  void write_config(std::uint16_t backend_port) const {
    const std::filesystem::path template_path =
        source_dir() / "tests/interop/nginx_websocket_proxy.conf";
    std::string config = read_file(template_path);
    if (config.empty()) throw std::runtime_error("cannot read " + template_path.string());
    std::string listen = "listen 127.0.0.1:" + std::to_string(port_);
    if (tls_) {
      listen += " ssl;\n    ssl_certificate " + tls_->cert + ";\n    ssl_certificate_key " +
                tls_->key + ';';
    } else {
      listen += ';';
    }
    replace_all(config, "@PREFIX@", prefix_.string());
    replace_all(config, "@BACKEND_PORT@", std::to_string(backend_port));
    replace_all(config, "@LISTEN@", listen);
    std::ofstream out(prefix_ / "nginx.conf", std::ios::binary | std::ios::trunc);
    out << config;
    if (!out.flush()) throw std::runtime_error("cannot write nginx.conf");
  }

  // True once nginx has bound its port (its pid file names our child) and
  // accepts; false as soon as it has exited, or after 10 s.
  bool wait_ready() {
    const auto deadline = Clock::now() + 10s;
    const std::string pid = std::to_string(process_->pid());
    while (Clock::now() < deadline) {
      if (!process_->running()) return false;
      std::istringstream written(read_file(prefix_ / "nginx.pid"));
      std::string named;
      written >> named;
      if (named == pid && accepts()) return true;
      std::this_thread::sleep_for(20ms);
    }
    return false;
  }

  bool accepts() const {
    try {
      TcpClient probe(port_);
      return true;
    } catch (const std::runtime_error&) {
      return false;
    }
  }

  std::optional<CertificateFiles> tls_;
  std::filesystem::path prefix_;
  std::uint16_t port_ = 0;
  std::unique_ptr<ChildProcess> process_;
};

}  // namespace faye::test
