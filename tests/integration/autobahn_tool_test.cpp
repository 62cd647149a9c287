// `faye-ws autobahn` against a tiny fake of the Autobahn|Testsuite fuzzing
// server, written here with faye::http::Server and WebSocket::accept on a free
// loopback port: /getCaseCount, /runCase (a few messages that must come back
// byte-exact and with their type), /updateReports. The tool runs as a child
// process; every read has a deadline.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "faye/driver/permessage_deflate.hpp"
#include "faye/http/server.hpp"
#include "faye/websocket.hpp"
#include "integration/pipe_process.hpp"
#include "integration/refused_port.hpp"

namespace {

using namespace std::chrono_literals;
using faye::test::PipeProcess;
using faye::test::RefusedPort;

#ifdef FAYE_WS_BIN
constexpr const char* faye_ws_binary = FAYE_WS_BIN;
#else
constexpr const char* faye_ws_binary = nullptr;
#endif

// "case=3&agent=test" -> {case: 3, agent: test} (no escapes in these tests).
std::map<std::string, std::string> parse_query(std::string_view query) {
  std::map<std::string, std::string> fields;
  while (!query.empty()) {
    const auto amp = query.find('&');
    const std::string_view field = query.substr(0, amp);
    const auto eq = field.find('=');
    fields[std::string(field.substr(0, eq))] =
        eq == std::string_view::npos ? "" : std::string(field.substr(eq + 1));
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
  }
  return fields;
}

struct Message {
  bool binary;
  std::string payload;
};

// What each case sends; the client must echo them in order, with their type.
std::vector<Message> case_messages(int number) {
  std::string every_byte;
  for (int byte = 0; byte < 256; ++byte) every_byte.push_back(static_cast<char>(byte));
  std::string large(1 << 20, '\0');
  for (std::size_t i = 0; i < large.size(); ++i)
    large[i] = static_cast<char>((i * 31 + i / 7) & 0xFF);
  return {{false, "case " + std::to_string(number) + ": h\xC3\xA9llo \xF0\x9F\x8C\x8D"},
          {true, every_byte},
          {false, ""},
          {true, large}};
}

class FakeFuzzingServer {
 public:
  struct Record {
    std::map<int, bool> cases;            // case number -> every echo was exact
    std::vector<std::string> extensions;  // negotiated, per /runCase connection
    std::vector<std::string> agents;      // the agent of each /runCase
    int count_requests = 0;
    std::optional<std::string> updated_agent;
  };

  FakeFuzzingServer(int case_count, bool deflate) : case_count_(case_count) {
    if (deflate) options_.extensions = {std::make_shared<faye::driver::PermessageDeflate>()};
    server_ = std::make_unique<faye::http::Server>(
        faye::http::ServerOptions{.host = "127.0.0.1", .port = 0, .threads = 1},
        [this](faye::http::Request& request) { return handle(request); });
    server_->start();
  }
  ~FakeFuzzingServer() { server_.reset(); }  // stop and wait before the members go

  std::string url() const { return "ws://127.0.0.1:" + std::to_string(server_->port()); }

  Record record() {
    std::lock_guard lock(mutex_);
    return record_;
  }

 private:
  struct CaseState {
    int number;
    std::vector<Message> expected;
    std::size_t received = 0;
    bool exact = true;
    bool finished = false;
  };

  faye::http::Response handle(faye::http::Request& request) {
    if (!faye::WebSocket::is_websocket(request)) return {404, {}, "not found"};
    const std::string path(request.path());
    auto query = parse_query(request.query());
    auto ws = faye::WebSocket::accept(request, options_);
    faye::WebSocket* socket = ws.get();  // alive until onclose: the library holds it

    if (path == "/getCaseCount") {
      update([&](Record& r) { ++r.count_requests; });
      ws->onopen = [this, socket](const faye::OpenEvent&) {
        socket->send(std::to_string(case_count_));
        socket->close(1000);
      };
    } else if (path == "/runCase") {
      auto state = std::make_shared<CaseState>();
      state->number = std::stoi(query["case"]);
      state->expected = case_messages(state->number);
      update([&](Record& r) { r.agents.push_back(query["agent"]); });
      ws->onopen = [this, socket, state](const faye::OpenEvent&) {
        update([&](Record& r) { r.extensions.push_back(socket->extensions()); });
        for (const Message& message : state->expected) {
          if (message.binary) {
            socket->send(faye::as_bytes(message.payload));
          } else {
            socket->send(std::string_view(message.payload));
          }
        }
      };
      ws->onmessage = [this, socket, state](const faye::MessageEvent& event) {
        if (state->received < state->expected.size()) {
          const Message& expected = state->expected[state->received];
          if (event.data.is_binary() != expected.binary || event.data.text() != expected.payload) {
            state->exact = false;
          }
        } else {
          state->exact = false;  // more messages than were sent
        }
        if (++state->received == state->expected.size()) {
          state->finished = true;
          update([&](Record& r) { r.cases[state->number] = state->exact; });
          socket->close(1000);
        }
      };
      ws->onclose = [this, state](const faye::CloseEvent&) {
        if (!state->finished) update([&](Record& r) { r.cases[state->number] = false; });
      };
    } else if (path == "/updateReports") {
      update([&](Record& r) { r.updated_agent = query["agent"]; });
      ws->onopen = [socket](const faye::OpenEvent&) { socket->close(1000); };
    } else {
      ws->onopen = [socket](const faye::OpenEvent&) { socket->close(1008, "unknown path"); };
    }
    return faye::http::Response::hijacked();
  }

  template <class F>
  void update(F change) {
    std::lock_guard lock(mutex_);
    change(record_);
  }

  const int case_count_;
  faye::WebSocket::Options options_;
  std::mutex mutex_;
  Record record_;
  std::unique_ptr<faye::http::Server> server_;
};

int exit_status(std::optional<int> wait_status) {
  if (!wait_status || !WIFEXITED(*wait_status)) return -1;
  return WEXITSTATUS(*wait_status);
}

class AutobahnToolTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (faye_ws_binary == nullptr) GTEST_SKIP() << "FAYE_WS_BIN is not set (examples not built)";
  }

  // Runs the tool to its end; returns its stdout lines and exit status.
  static std::pair<std::vector<std::string>, int> run_tool(std::vector<std::string> extra_args) {
    std::vector<std::string> args{faye_ws_binary, "autobahn"};
    args.insert(args.end(), extra_args.begin(), extra_args.end());
    PipeProcess tool(args);
    tool.close_stdin();
    std::vector<std::string> lines;
    while (!tool.reads_eof(60s)) lines.push_back(tool.read_line(60s));
    return {lines, exit_status(tool.wait_exit(10s))};
  }
};

TEST_F(AutobahnToolTest, EchoesEveryCaseAndUpdatesTheReports) {
  FakeFuzzingServer server(3, true);
  auto [lines, status] = run_tool({"--url", server.url(), "--agent", "test"});
  EXPECT_EQ(status, 0);

  const auto record = server.record();
  EXPECT_EQ(record.count_requests, 1);
  ASSERT_EQ(record.cases.size(), 3u);
  for (int number = 1; number <= 3; ++number) {
    EXPECT_TRUE(record.cases.count(number) && record.cases.at(number)) << "case " << number;
  }
  EXPECT_EQ(record.agents, (std::vector<std::string>{"test", "test", "test"}));
  EXPECT_EQ(record.updated_agent, "test");
  // permessage-deflate is offered by default.
  ASSERT_EQ(record.extensions.size(), 3u);
  for (const std::string& extensions : record.extensions) {
    EXPECT_TRUE(extensions.starts_with("permessage-deflate")) << extensions;
  }

  std::string output;
  for (const std::string& line : lines) output += line + '\n';
  for (int number = 1; number <= 3; ++number) {
    EXPECT_NE(output.find("case " + std::to_string(number) + ": closed 1000\n"), std::string::npos)
        << output;
  }
  EXPECT_NE(output.find("3 cases run: 3 closed cleanly"), std::string::npos) << output;
}

TEST_F(AutobahnToolTest, NoDeflateAndACaseRange) {
  FakeFuzzingServer server(5, true);
  auto [lines, status] = run_tool(
      {"--url", server.url() + "/", "--agent", "faye test", "--no-deflate", "--cases", "2-3"});
  EXPECT_EQ(status, 0);

  const auto record = server.record();
  EXPECT_EQ(record.cases, (std::map<int, bool>{{2, true}, {3, true}}));
  EXPECT_EQ(record.extensions, (std::vector<std::string>{"", ""}));
  // The agent's space is percent-encoded in the query (the fake does not decode).
  EXPECT_EQ(record.updated_agent, "faye%20test");
}

TEST_F(AutobahnToolTest, UnreachableServerExitsWithOne) {
  const RefusedPort refused;
  const std::string url = "ws://127.0.0.1:" + std::to_string(refused.port());

  auto [lines, status] = run_tool({"--url", url, "--agent", "test"});
  EXPECT_EQ(status, 1);
  ASSERT_FALSE(lines.empty());
  EXPECT_TRUE(lines.front().starts_with("cannot get the case count")) << lines.front();
}

}  // namespace
