// `faye-ws serve` as a user meets it: the built binary in a child process on a
// free loopback port, driven over real sockets with plain HTTP and the
// library's sans-I/O RFC 6455 client driver. Every wait has a deadline.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <optional>
#include <regex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "faye/driver/client.hpp"
#include "faye/http/parser.hpp"
#include "faye/http/url.hpp"
#include "integration/tls_certificates.hpp"

extern char** environ;

namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

#ifdef FAYE_WS_BIN
constexpr const char* faye_ws_binary = FAYE_WS_BIN;
#else
constexpr const char* faye_ws_binary = nullptr;
#endif

constexpr auto io_timeout = 5s;

// Waits until `fd` is readable or the deadline passes.
bool wait_readable(int fd, Clock::time_point deadline) {
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left <= 0ms) return false;
    pollfd entry{.fd = fd, .events = POLLIN, .revents = 0};
    int ready = ::poll(&entry, 1, static_cast<int>(left.count()));
    if (ready > 0) return true;
    if (ready < 0 && errno != EINTR) return false;
  }
}

// `faye-ws serve ...` in a child process, killed (by PID) if a test leaves it
// running. Its stdout is a pipe; stderr (the connection log) is the test's.
class ServeProcess {
 public:
  explicit ServeProcess(std::vector<std::string> extra_args = {}) {
    std::vector<std::string> args{faye_ws_binary, "serve", "--host", "127.0.0.1", "--port", "0"};
    args.insert(args.end(), extra_args.begin(), extra_args.end());
    std::vector<char*> argv;
    for (std::string& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);

    int out[2];
    if (::pipe2(out, O_CLOEXEC) != 0) throw std::runtime_error("pipe2 failed");
    stdout_ = out[0];
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
    int error = ::posix_spawn(&pid_, faye_ws_binary, &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    ::close(out[1]);
    if (error != 0) {
      pid_ = -1;
      ::close(stdout_);
      throw std::runtime_error("cannot start " + std::string(faye_ws_binary));
    }
  }

  ~ServeProcess() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    if (stdout_ >= 0) ::close(stdout_);
  }
  ServeProcess(const ServeProcess&) = delete;
  ServeProcess& operator=(const ServeProcess&) = delete;

  // The first line the server prints, or "" if none comes in time.
  std::string read_line(Clock::duration timeout = io_timeout) {
    auto deadline = Clock::now() + timeout;
    std::string line;
    char c = 0;
    while (wait_readable(stdout_, deadline) && ::read(stdout_, &c, 1) == 1) {
      if (c == '\n') return line;
      line += c;
    }
    return "";
  }

  // Reads the "listening on" line and returns the port, 0 if it is missing.
  std::uint16_t wait_listening() {
    listening_line_ = read_line();
    std::smatch match;
    static const std::regex pattern(
        R"(^faye-ws serve: listening on https?://127\.0\.0\.1:(\d+)/ \((\d+) threads?\)$)");
    if (!std::regex_match(listening_line_, match, pattern)) return 0;
    return static_cast<std::uint16_t>(std::stoi(match[1]));
  }
  const std::string& listening_line() const { return listening_line_; }

  void signal(int number) { ::kill(pid_, number); }

  // The wait status once the process has exited, or nothing after `timeout`.
  std::optional<int> wait_exit(Clock::duration timeout) {
    auto deadline = Clock::now() + timeout;
    while (Clock::now() < deadline) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return status;
      }
      std::this_thread::sleep_for(10ms);
    }
    return std::nullopt;
  }

 private:
  pid_t pid_ = -1;
  int stdout_ = -1;
  std::string listening_line_;
};

// TLS client settings that trust the test CA and check the name "localhost".
class TlsClientContext {
 public:
  explicit TlsClientContext(const std::string& ca_file)
      : context_(SSL_CTX_new(TLS_client_method())) {
    if (context_ == nullptr ||
        SSL_CTX_load_verify_locations(context_, ca_file.c_str(), nullptr) != 1) {
      throw std::runtime_error("cannot set up the TLS client context");
    }
    SSL_CTX_set_verify(context_, SSL_VERIFY_PEER, nullptr);
  }
  ~TlsClientContext() { SSL_CTX_free(context_); }
  TlsClientContext(const TlsClientContext&) = delete;
  TlsClientContext& operator=(const TlsClientContext&) = delete;
  SSL_CTX* get() const { return context_; }

 private:
  SSL_CTX* context_;
};

// A blocking TCP connection to 127.0.0.1, over TLS when given a context,
// whose reads have deadlines.
class Connection {
 public:
  explicit Connection(std::uint16_t port, const TlsClientContext* tls = nullptr)
      : fd_(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd_ < 0 || ::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
      throw std::runtime_error("cannot connect to port " + std::to_string(port));
    }
    if (tls == nullptr) return;
    // Bounds the blocking TLS handshake and the reads that finish a record.
    timeval timeout{.tv_sec = std::chrono::seconds(io_timeout).count(), .tv_usec = 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
    ssl_ = SSL_new(tls->get());
    if (ssl_ == nullptr || SSL_set_fd(ssl_, fd_) != 1 ||
        SSL_set_tlsext_host_name(ssl_, "localhost") != 1 || SSL_set1_host(ssl_, "localhost") != 1 ||
        SSL_connect(ssl_) != 1) {
      throw std::runtime_error("TLS handshake failed: " + tls_error());
    }
  }
  ~Connection() {
    if (ssl_ != nullptr) SSL_free(ssl_);
    ::close(fd_);
  }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  bool send_all(faye::Bytes bytes) {
    while (!bytes.empty()) {
      ssize_t sent = 0;
      if (ssl_ != nullptr) {
        sent = SSL_write(ssl_, bytes.data(), static_cast<int>(bytes.size()));
      } else {
        sent = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
        if (sent < 0 && errno == EINTR) continue;
      }
      if (sent <= 0) return false;
      bytes = bytes.subspan(static_cast<std::size_t>(sent));
    }
    return true;
  }
  bool send_all(std::string_view text) { return send_all(faye::as_bytes(text)); }

  // Appends what arrives to `into`; false on end of stream, error or timeout.
  bool receive(std::string& into, Clock::time_point deadline) {
    bool buffered = ssl_ != nullptr && SSL_pending(ssl_) > 0;
    if (!buffered && !wait_readable(fd_, deadline)) return false;
    char buffer[16 * 1024];
    ssize_t received = ssl_ != nullptr ? SSL_read(ssl_, buffer, sizeof buffer)
                                       : ::recv(fd_, buffer, sizeof buffer, 0);
    if (received <= 0) return false;
    into.append(buffer, static_cast<std::size_t>(received));
    return true;
  }

 private:
  static std::string tls_error() {
    char text[256] = "unknown error";
    if (unsigned long code = ERR_get_error()) ERR_error_string_n(code, text, sizeof text);
    return text;
  }

  int fd_;
  SSL* ssl_ = nullptr;
};

struct HttpResponse {
  faye::http::ResponseHead head;
  std::string body;
};

std::optional<HttpResponse> http_request(std::uint16_t port, std::string_view method,
                                         std::string_view target,
                                         const TlsClientContext* tls = nullptr) {
  Connection connection(port, tls);
  std::string request = std::string(method) + ' ' + std::string(target) +
                        " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) + "\r\n\r\n";
  if (!connection.send_all(request)) return std::nullopt;

  auto deadline = Clock::now() + io_timeout;
  faye::http::ResponseParser parser;
  std::string received;
  std::size_t head_size = 0;
  while (!parser.complete()) {
    std::string more;
    if (!connection.receive(more, deadline)) return std::nullopt;
    received += more;
    head_size += parser.parse(more);
    if (parser.failed()) return std::nullopt;
  }
  HttpResponse response{parser.take(), received.substr(head_size)};
  if (method == "HEAD") return response;
  std::size_t length =
      std::stoul(std::string(response.head.headers.get("Content-Length").value_or("0")));
  while (response.body.size() < length) {
    if (!connection.receive(response.body, deadline)) return std::nullopt;
  }
  return response;
}

// An RFC 6455 client: the library's client driver over a Connection.
class WebSocketClient : faye::driver::Handler {
 public:
  struct Message {
    bool text;
    std::string data;
  };
  struct Close {
    std::uint16_t code;
    std::string reason;
  };

  explicit WebSocketClient(std::uint16_t port, faye::driver::ClientOptions options = {},
                           const TlsClientContext* tls = nullptr)
      : connection_(port, tls),
        driver_(faye::http::Url::parse((tls ? "wss://localhost:" : "ws://127.0.0.1:") +
                                       std::to_string(port) + "/"),
                *this, std::move(options)) {
    driver_.start();
  }

  faye::driver::Client& driver() { return driver_; }

  bool wait_open() {
    pump([&] { return driver_.ready_state() != faye::driver::ReadyState::connecting; });
    return driver_.ready_state() == faye::driver::ReadyState::open;
  }

  std::optional<Message> next_message() {
    pump([&] { return !messages_.empty() || close_; });
    if (messages_.empty()) return std::nullopt;
    Message message = std::move(messages_.front());
    messages_.erase(messages_.begin());
    return message;
  }

  std::optional<Close> wait_close() {
    pump([&] { return close_.has_value(); });
    return close_;
  }

  const std::vector<std::string>& errors() const { return errors_; }

 private:
  // Feeds the driver what arrives until `done` or the deadline.
  template <typename Done>
  void pump(Done done) {
    auto deadline = Clock::now() + io_timeout;
    std::string received;
    while (!done()) {
      received.clear();
      if (!connection_.receive(received, deadline)) return;
      driver_.parse(
          faye::MutableBytes(reinterpret_cast<std::uint8_t*>(received.data()), received.size()));
    }
  }

  void write(faye::Bytes bytes) override { connection_.send_all(bytes); }
  void on_message(const faye::driver::Message& message) override {
    messages_.push_back({message.is_text(), std::string(message.text())});
  }
  void on_close(std::uint16_t code, std::string_view reason) override {
    close_ = Close{code, std::string(reason)};
  }
  void on_error(std::error_code, std::string_view message) override {
    errors_.emplace_back(message);
  }

  Connection connection_;
  faye::driver::Client driver_;
  std::vector<Message> messages_;
  std::optional<Close> close_;
  std::vector<std::string> errors_;
};

class ServeTest : public testing::Test {
 protected:
  void SetUp() override {
    if (faye_ws_binary == nullptr) GTEST_SKIP() << "FAYE_WS_BIN is not set (examples not built)";
  }
};

TEST_F(ServeTest, PrintsTheListeningLineWithTheBoundPort) {
  ServeProcess serve({"--threads", "2"});
  std::uint16_t port = serve.wait_listening();
  ASSERT_NE(port, 0) << "line: " << serve.listening_line();
  EXPECT_NE(serve.listening_line().find("(2 threads)"), std::string::npos);
  // Every loop listens on the port that was printed.
  for (int i = 0; i < 8; ++i) {
    auto response = http_request(port, "GET", "/");
    ASSERT_TRUE(response);
    EXPECT_EQ(response->head.status, 200);
  }
}

TEST_F(ServeTest, ServesTheDemoPageAtRoot) {
  ServeProcess serve({"--threads", "1"});
  std::uint16_t port = serve.wait_listening();
  ASSERT_NE(port, 0) << "line: " << serve.listening_line();

  auto response = http_request(port, "GET", "/");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->head.status, 200);
  EXPECT_EQ(response->head.headers.get("Content-Type").value_or(""), "text/html; charset=utf-8");
  EXPECT_EQ(response->body.rfind("<!doctype html>", 0), 0u);
  EXPECT_NE(response->body.find("new WebSocket("), std::string::npos);
  // Self-contained: nothing is loaded from elsewhere.
  EXPECT_EQ(response->body.find("src="), std::string::npos);
  EXPECT_EQ(response->body.find("href="), std::string::npos);

  auto head = http_request(port, "HEAD", "/");
  ASSERT_TRUE(head);
  EXPECT_EQ(head->head.status, 200);
  EXPECT_EQ(head->head.headers.get("Content-Length").value_or(""),
            std::to_string(response->body.size()));
}

TEST_F(ServeTest, AnswersOtherPathsAndMethodsWithErrors) {
  ServeProcess serve({"--threads", "1"});
  std::uint16_t port = serve.wait_listening();
  ASSERT_NE(port, 0) << "line: " << serve.listening_line();

  auto missing = http_request(port, "GET", "/nope");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->head.status, 404);

  auto post = http_request(port, "POST", "/");
  ASSERT_TRUE(post);
  EXPECT_EQ(post->head.status, 405);
  EXPECT_EQ(post->head.headers.get("Allow").value_or(""), "GET, HEAD");
}

TEST_F(ServeTest, EchoesTextAndBinaryMessagesWithTheirType) {
  ServeProcess serve({"--threads", "1"});
  std::uint16_t port = serve.wait_listening();
  ASSERT_NE(port, 0) << "line: " << serve.listening_line();

  WebSocketClient client(port);
  ASSERT_TRUE(client.wait_open()) << testing::PrintToString(client.errors());
  EXPECT_EQ(client.driver().protocol(), "");

  ASSERT_TRUE(client.driver().text("Hello, world! \xc3\xa9"));
  auto text = client.next_message();
  ASSERT_TRUE(text);
  EXPECT_TRUE(text->text);
  EXPECT_EQ(text->data, "Hello, world! \xc3\xa9");

  std::vector<std::uint8_t> bytes(256);
  for (std::size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<std::uint8_t>(i);
  ASSERT_TRUE(client.driver().binary(bytes));
  auto binary = client.next_message();
  ASSERT_TRUE(binary);
  EXPECT_FALSE(binary->text);
  EXPECT_EQ(binary->data, std::string(bytes.begin(), bytes.end()));

  std::string large(300 * 1024, 'x');
  ASSERT_TRUE(client.driver().text(large));
  auto echoed = client.next_message();
  ASSERT_TRUE(echoed);
  EXPECT_EQ(echoed->data.size(), large.size());
  EXPECT_EQ(echoed->data, large);

  ASSERT_TRUE(client.driver().text(""));
  auto empty = client.next_message();
  ASSERT_TRUE(empty);
  EXPECT_TRUE(empty->text);
  EXPECT_EQ(empty->data, "");

  // RFC 6455 5.5.1: the server answers a close with the same status code.
  ASSERT_TRUE(client.driver().close(4000, "bye"));
  auto close = client.wait_close();
  ASSERT_TRUE(close);
  EXPECT_EQ(close->code, 4000);
}

TEST_F(ServeTest, AgreesToASubprotocolGivenWithProtocol) {
  ServeProcess serve({"--threads", "1", "--protocol", "chat", "--protocol", "echo"});
  std::uint16_t port = serve.wait_listening();
  ASSERT_NE(port, 0) << "line: " << serve.listening_line();

  faye::driver::ClientOptions offer;
  offer.protocols = {"superchat", "echo"};
  WebSocketClient chosen(port, offer);
  ASSERT_TRUE(chosen.wait_open()) << testing::PrintToString(chosen.errors());
  EXPECT_EQ(chosen.driver().protocol(), "echo");

  offer.protocols = {"superchat"};
  WebSocketClient unknown(port, offer);
  ASSERT_TRUE(unknown.wait_open()) << testing::PrintToString(unknown.errors());
  EXPECT_EQ(unknown.driver().protocol(), "");
}

TEST_F(ServeTest, ClosesWith1009AboveMaxLength) {
  ServeProcess serve({"--threads", "1", "--max-length", "16"});
  std::uint16_t port = serve.wait_listening();
  ASSERT_NE(port, 0) << "line: " << serve.listening_line();

  WebSocketClient client(port);
  ASSERT_TRUE(client.wait_open()) << testing::PrintToString(client.errors());
  ASSERT_TRUE(client.driver().text(std::string(16, 'a')));
  auto fits = client.next_message();
  ASSERT_TRUE(fits);
  EXPECT_EQ(fits->data.size(), 16u);

  ASSERT_TRUE(client.driver().text(std::string(17, 'a')));
  auto close = client.wait_close();
  ASSERT_TRUE(close);
  EXPECT_EQ(close->code, 1009);
}

TEST_F(ServeTest, SigtermStopsItWithStatusZero) {
  ServeProcess serve({"--threads", "2"});
  ASSERT_NE(serve.wait_listening(), 0) << "line: " << serve.listening_line();
  serve.signal(SIGTERM);
  auto status = serve.wait_exit(3s);
  ASSERT_TRUE(status) << "still running 3 s after SIGTERM";
  ASSERT_TRUE(WIFEXITED(*status)) << "wait status " << *status;
  EXPECT_EQ(WEXITSTATUS(*status), 0);
}

TEST_F(ServeTest, SigintStopsItWithStatusZero) {
  ServeProcess serve({"--threads", "1"});
  ASSERT_NE(serve.wait_listening(), 0) << "line: " << serve.listening_line();
  serve.signal(SIGINT);
  auto status = serve.wait_exit(3s);
  ASSERT_TRUE(status) << "still running 3 s after SIGINT";
  ASSERT_TRUE(WIFEXITED(*status)) << "wait status " << *status;
  EXPECT_EQ(WEXITSTATUS(*status), 0);
}

TEST_F(ServeTest, StoppingSendsGoingAwayToOpenWebSockets) {
  ServeProcess serve({"--threads", "1"});
  std::uint16_t port = serve.wait_listening();
  ASSERT_NE(port, 0) << "line: " << serve.listening_line();

  WebSocketClient client(port);
  ASSERT_TRUE(client.wait_open()) << testing::PrintToString(client.errors());
  ASSERT_TRUE(client.driver().text("still here"));
  ASSERT_TRUE(client.next_message());

  serve.signal(SIGTERM);
  // RFC 6455 7.4.1: 1001, "a server going down".
  auto close = client.wait_close();
  ASSERT_TRUE(close);
  EXPECT_EQ(close->code, 1001);

  auto status = serve.wait_exit(3s);
  ASSERT_TRUE(status) << "still running 3 s after SIGTERM";
  ASSERT_TRUE(WIFEXITED(*status)) << "wait status " << *status;
  EXPECT_EQ(WEXITSTATUS(*status), 0);
}

TEST_F(ServeTest, ServesHttpsAndWssWithACertificate) {
  faye::test::TestCertificates certificates;
  ServeProcess serve({"--threads", "1", "--tls-cert", certificates.localhost().cert, "--tls-key",
                      certificates.localhost().key});
  std::uint16_t port = serve.wait_listening();
  ASSERT_NE(port, 0) << "line: " << serve.listening_line();
  EXPECT_NE(serve.listening_line().find(" https://127.0.0.1:"), std::string::npos);

  TlsClientContext tls(certificates.ca().cert);
  auto page = http_request(port, "GET", "/", &tls);
  ASSERT_TRUE(page);
  EXPECT_EQ(page->head.status, 200);
  EXPECT_NE(page->body.find("wss://"), std::string::npos);

  WebSocketClient client(port, {}, &tls);
  ASSERT_TRUE(client.wait_open()) << testing::PrintToString(client.errors());
  ASSERT_TRUE(client.driver().text("over TLS"));
  auto echoed = client.next_message();
  ASSERT_TRUE(echoed);
  EXPECT_EQ(echoed->data, "over TLS");
}

TEST_F(ServeTest, RejectsInvalidOptions) {
  for (std::vector<std::string> args : {std::vector<std::string>{"--threads", "0"},
                                        std::vector<std::string>{"--tls-cert", "/dev/null"},
                                        std::vector<std::string>{"--max-length", "0"},
                                        std::vector<std::string>{"--no-such-option"}}) {
    ServeProcess serve(args);
    auto status = serve.wait_exit(3s);
    ASSERT_TRUE(status) << testing::PrintToString(args);
    ASSERT_TRUE(WIFEXITED(*status)) << testing::PrintToString(args);
    EXPECT_NE(WEXITSTATUS(*status), 0) << testing::PrintToString(args);
  }
}

}  // namespace
