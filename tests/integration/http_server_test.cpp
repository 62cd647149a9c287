// faye::http::Server over real sockets on loopback: every test binds port 0,
// speaks HTTP/1.x byte by byte through a blocking client, and is bounded in
// time (each read has a deadline; stopping is bounded by shutdown_timeout).
#include "faye/http/server.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <future>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "faye/net/connection.hpp"
#include "integration/http_client.hpp"

namespace faye::http {
namespace {

using namespace std::chrono_literals;
using test::HttpClient;
using test::HttpResponse;
using Clock = std::chrono::steady_clock;

ServerOptions test_options(std::string host = "127.0.0.1") {
  ServerOptions options;
  options.host = std::move(host);
  options.port = 0;
  options.shutdown_timeout = 2s;
  return options;
}

std::string get(std::string_view target, std::string_view extra = {}) {
  return "GET " + std::string(target) + " HTTP/1.1\r\nHost: localhost\r\n" + std::string(extra) +
         "\r\n";
}

std::string post(std::string_view target, std::string_view body) {
  return "POST " + std::string(target) +
         " HTTP/1.1\r\nHost: localhost\r\nContent-Length: " + std::to_string(body.size()) +
         "\r\n\r\n" + std::string(body);
}

// Echoes the request: its path and query in headers, its body as the body.
Response echo(Request& request) {
  Response response{200, {{"Content-Type", "text/plain"}}, request.body};
  response.headers.add("X-Method", request.method);
  response.headers.add("X-Path", std::string(request.path()));
  response.headers.add("X-Query", std::string(request.query()));
  return response;
}

TEST(HttpServer, AnswersASimpleGet) {
  std::mutex mutex;
  Request seen;
  Server server(test_options(), [&](Request& request) {
    std::lock_guard lock(mutex);
    seen.method = request.method;
    seen.target = request.target;
    seen.remote_address = request.remote_address;
    seen.secure = request.secure;
    seen.headers = request.headers;
    EXPECT_TRUE(request.connection);
    return Response{200, {{"Content-Type", "text/plain"}}, "Hello"};
  });
  server.start();
  ASSERT_NE(server.port(), 0);

  HttpClient client;
  ASSERT_TRUE(client.connect("127.0.0.1", server.port()));
  ASSERT_TRUE(client.send(get("/chat?room=1", "User-Agent: test\r\n")));
  HttpResponse response = client.read_response();
  ASSERT_TRUE(response.complete);
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "Hello");
  EXPECT_EQ(response.headers.get("Content-Length"), "5");
  EXPECT_EQ(response.headers.get("Server"), "faye-websocket");
  ASSERT_TRUE(response.headers.get("Date"));
  EXPECT_TRUE(response.headers.get("Date")->ends_with(" GMT"));
  EXPECT_FALSE(response.headers.contains("Connection"));

  std::lock_guard lock(mutex);
  EXPECT_EQ(seen.method, "GET");
  EXPECT_EQ(seen.target, "/chat?room=1");
  EXPECT_EQ(seen.path(), "/chat");
  EXPECT_EQ(seen.query(), "room=1");
  EXPECT_EQ(seen.headers.get("User-Agent"), "test");
  EXPECT_EQ(seen.remote_address.rfind("127.0.0.1:", 0), 0u) << seen.remote_address;
  EXPECT_FALSE(seen.secure);
}

TEST(HttpServer, KeepsTheConnectionForTheNextRequest) {
  std::mutex mutex;
  std::vector<std::string> peers;
  Server server(test_options(), [&](Request& request) {
    std::lock_guard lock(mutex);
    peers.push_back(request.remote_address);
    return echo(request);
  });
  server.start();

  HttpClient client;
  ASSERT_TRUE(client.connect("127.0.0.1", server.port()));
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(client.send(get("/n" + std::to_string(i))));
    HttpResponse response = client.read_response();
    ASSERT_TRUE(response.complete);
    EXPECT_EQ(response.headers.get("X-Path"), "/n" + std::to_string(i));
  }
  std::lock_guard lock(mutex);
  ASSERT_EQ(peers.size(), 3u);
  EXPECT_EQ(peers[0], peers[1]);
  EXPECT_EQ(peers[1], peers[2]);
}

TEST(HttpServer, AnswersPipelinedRequestsInOrder) {
  Server server(test_options(), echo);
  server.start();

  HttpClient client;
  ASSERT_TRUE(client.connect("127.0.0.1", server.port()));
  ASSERT_TRUE(client.send(get("/first") + post("/second", "body two") + get("/third")));
  HttpResponse first = client.read_response();
  HttpResponse second = client.read_response();
  HttpResponse third = client.read_response();
  EXPECT_EQ(first.headers.get("X-Path"), "/first");
  EXPECT_EQ(second.headers.get("X-Path"), "/second");
  EXPECT_EQ(second.body, "body two");
  EXPECT_EQ(third.headers.get("X-Path"), "/third");
  EXPECT_TRUE(third.complete);
}

TEST(HttpServer, EchoesAContentLengthBody) {
  Server server(test_options(), echo);
  server.start();

  HttpClient client;
  ASSERT_TRUE(client.connect("127.0.0.1", server.port()));
  const std::string body(10'000, 'x');
  ASSERT_TRUE(client.send(post("/upload", body)));
  HttpResponse response = client.read_response();
  ASSERT_TRUE(response.complete);
  EXPECT_EQ(response.headers.get("X-Method"), "POST");
  EXPECT_EQ(response.body, body);
}

TEST(HttpServer, EchoesAChunkedBody) {
  Server server(test_options(), echo);
  server.start();

  HttpClient client;
  ASSERT_TRUE(client.connect("127.0.0.1", server.port()));
  // Sent in pieces that split the chunk framing anywhere.
  ASSERT_TRUE(client.send(
      "POST /chunks HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nHel"));
  std::this_thread::sleep_for(20ms);
  ASSERT_TRUE(client.send("lo\r\n7\r\n, world\r\n0\r\n\r\n"));
  HttpResponse response = client.read_response();
  ASSERT_TRUE(response.complete);
  EXPECT_EQ(response.body, "Hello, world");
  // Still open for another request.
  ASSERT_TRUE(client.send(get("/after")));
  EXPECT_EQ(client.read_response().headers.get("X-Path"), "/after");
}

TEST(HttpServer, ClosesAnHttp10ConnectionAfterTheResponse) {
  Server server(test_options(), echo);
  server.start();

  HttpClient client;
  ASSERT_TRUE(client.connect("127.0.0.1", server.port()));
  ASSERT_TRUE(client.send("GET /old HTTP/1.0\r\n\r\n"));
  HttpResponse response = client.read_response();
  ASSERT_TRUE(response.complete);
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.headers.get("Connection"), "close");
  EXPECT_EQ(client.read_until_close(), "");
  EXPECT_TRUE(client.peer_closed());
}

TEST(HttpServer, KeepsAnHttp10ConnectionThatAsksForKeepAlive) {
  Server server(test_options(), echo);
  server.start();

  HttpClient client;
  ASSERT_TRUE(client.connect("127.0.0.1", server.port()));
  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE(client.send("GET /old HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
    HttpResponse response = client.read_response();
    ASSERT_TRUE(response.complete);
    // RFC 9112 C.2.2: the response must say keep-alive for the connection to persist.
    EXPECT_EQ(response.headers.get("Connection"), "keep-alive");
  }
}

TEST(HttpServer, AnswersHeadWithoutABody) {
  Server server(test_options(), [](Request&) {
    return Response{200, {{"Content-Type", "text/plain"}}, "twelve bytes"};
  });
  server.start();

  HttpClient client;
  ASSERT_TRUE(client.connect("127.0.0.1", server.port()));
  ASSERT_TRUE(client.send("HEAD / HTTP/1.1\r\nHost: x\r\n\r\n" + get("/")));
  HttpResponse head = client.read_response(/*head_request=*/true);
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(head.headers.get("Content-Length"), "12");
  EXPECT_EQ(head.body, "");
  // The next response follows immediately: no body bytes were sent for HEAD.
  HttpResponse next = client.read_response();
  EXPECT_EQ(next.body, "twelve bytes");
}

TEST(HttpServer, Answers100ContinueBeforeTheBody) {
  Server server(test_options(), echo);
  server.start();

  HttpClient client;
  ASSERT_TRUE(client.connect("127.0.0.1", server.port()));
  ASSERT_TRUE(client.send(
      "POST /up HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n"));
  HttpResponse interim = client.read_response();
  EXPECT_EQ(interim.status, 100);
  ASSERT_TRUE(client.send("hello"));
  HttpResponse response = client.read_response();
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "hello");
}

TEST(HttpServer, RefusesAnUnknownExpectationWith417) {
  Server server(test_options(), echo);
  server.start();

  HttpClient client;
  ASSERT_TRUE(client.connect("127.0.0.1", server.port()));
  ASSERT_TRUE(
      client.send("POST /up HTTP/1.1\r\nHost: x\r\nExpect: teapot\r\nContent-Length: 5\r\n\r\n"));
  EXPECT_EQ(client.read_response().status, 417);
  EXPECT_TRUE(client.wait_for_close());
}

TEST(HttpServer, RejectsAMalformedRequestAndServesOthers) {
  Server server(test_options(), echo);
  server.start();

  HttpClient good;
  ASSERT_TRUE(good.connect("127.0.0.1", server.port()));
  const std::vector<std::string> attacks = {
      "GET / HTTP/1.1\r\nHost: x\r\nNo colon here\r\n\r\n",
      "GET / HTTP/1.1\r\nHost x\r\nBad Name: 1\r\n\r\n",
      "GET / HTTP/1.1\r\n\r\n",  // HTTP/1.1 without Host (RFC 9112 3.2)
      "GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
      std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\0\0\0", 14),  // TLS to plain
      std::string("G\0T / HTTP/1.1\r\n\r\n", 18),
  };
  for (const std::string& attack : attacks) {
    HttpClient bad;
    ASSERT_TRUE(bad.connect("127.0.0.1", server.port()));
    ASSERT_TRUE(bad.send(attack));
    HttpResponse response = bad.read_response();
    EXPECT_EQ(response.status, 400) << attack;
    EXPECT_EQ(response.headers.get("Connection"), "close");
    EXPECT_TRUE(bad.wait_for_close()) << attack;
  }
  ASSERT_TRUE(good.send(get("/still-here")));
  EXPECT_EQ(good.read_response().headers.get("X-Path"), "/still-here");
}

TEST(HttpServer, SurvivesGarbageOnManyConnections) {
  ServerOptions options = test_options();
  options.request_timeout = 500ms;
  Server server(options, echo);
  server.start();

  // Deterministic noise: random bytes, random lengths, some cut short by
  // the client closing, some valid prefixes followed by junk.
  std::uint32_t seed = 12345;
  const auto next = [&seed] {
    seed = seed * 1664525u + 1013904223u;
    return seed >> 8;
  };
  for (int i = 0; i < 60; ++i) {
    HttpClient noisy(1s);
    ASSERT_TRUE(noisy.connect("127.0.0.1", server.port()));
    std::string bytes = i % 3 == 0 ? get("/") : std::string();
    const std::size_t size = next() % 3000;
    for (std::size_t j = 0; j < size; ++j) bytes.push_back(static_cast<char>(next() & 0xff));
    noisy.send(bytes);
    if (i % 2 == 0) noisy.read_until_close();  // else: just disappear
  }
  HttpClient client;
  ASSERT_TRUE(client.connect("127.0.0.1", server.port()));
  ASSERT_TRUE(client.send(get("/alive")));
  EXPECT_EQ(client.read_response().headers.get("X-Path"), "/alive");
}

TEST(HttpServer, AnswersAClientThatHalfClosesAfterItsRequest) {
  Server server(test_options(), echo);
  server.start();

  HttpClient client;
  ASSERT_TRUE(client.connect("127.0.0.1", server.port()));
  ASSERT_TRUE(client.send(post("/last", "words")));
  client.shutdown_write();  // FIN right after the request
  HttpResponse response = client.read_response();
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "words");
  EXPECT_TRUE(client.wait_for_close());
}

TEST(HttpServer, AnswersOversizedHeadersWith431) {
  ServerOptions options = test_options();
  options.max_header_bytes = 1024;
  Server server(options, echo);
  server.start();

  HttpClient client;
  ASSERT_TRUE(client.connect("127.0.0.1", server.port()));
  ASSERT_TRUE(client.send(get("/", "X-Big: " + std::string(4000, 'a') + "\r\n")));
  EXPECT_EQ(client.read_response().status, 431);
  EXPECT_TRUE(client.wait_for_close());
}

TEST(HttpServer, AnswersTooManyHeadersWith431) {
  ServerOptions options = test_options();
  options.max_header_count = 10;
  Server server(options, echo);
  server.start();

  HttpClient client;
  ASSERT_TRUE(client.connect("127.0.0.1", server.port()));
  std::string fields;
  for (int i = 0; i < 20; ++i) fields += "X-" + std::to_string(i) + ": v\r\n";
  ASSERT_TRUE(client.send(get("/", fields)));
  EXPECT_EQ(client.read_response().status, 431);
  EXPECT_TRUE(client.wait_for_close());
}

TEST(HttpServer, AnswersABodyTooLargeWith413) {
  ServerOptions options = test_options();
  options.max_body_size = 100;
  Server server(options, echo);
  server.start();

  {
    // Refused from the head, before any of the body is sent.
    HttpClient client;
    ASSERT_TRUE(client.connect("127.0.0.1", server.port()));
    ASSERT_TRUE(client.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\n"));
    EXPECT_EQ(client.read_response().status, 413);
    EXPECT_TRUE(client.wait_for_close());
  }
  {
    // Chunked: refused once the decoded body passes the limit.
    HttpClient client;
    ASSERT_TRUE(client.connect("127.0.0.1", server.port()));
    std::string request = "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
    for (int i = 0; i < 5; ++i) request += "20\r\n" + std::string(32, 'z') + "\r\n";
    ASSERT_TRUE(client.send(request));
    EXPECT_EQ(client.read_response().status, 413);
    EXPECT_TRUE(client.wait_for_close());
  }
}

TEST(HttpServer, DropsARequestThatNeverCompletes) {
  ServerOptions options = test_options();
  options.request_timeout = 300ms;
  Server server(options, echo);
  server.start();

  HttpClient client;
  ASSERT_TRUE(client.connect("127.0.0.1", server.port()));
  const auto start = Clock::now();
  ASSERT_TRUE(client.send("GET / HTTP/1.1\r\nHost: x\r\n"));  // no blank line, ever
  HttpResponse response = client.read_response();
  EXPECT_EQ(response.status, 408);
  EXPECT_TRUE(client.wait_for_close());
  const auto elapsed = Clock::now() - start;
  EXPECT_GE(elapsed, 250ms);
  EXPECT_LT(elapsed, 3s);
}

TEST(HttpServer, DropsASlowlorisThatTricklesBytes) {
  ServerOptions options = test_options();
  options.request_timeout = 300ms;
  Server server(options, echo);
  server.start();

  HttpClient client(100ms);
  ASSERT_TRUE(client.connect("127.0.0.1", server.port()));
  const auto start = Clock::now();
  const std::string head = get("/", "X-Slow: " + std::string(200, 's') + "\r\n");
  // One byte every 100 ms: each byte arrives well within any per-read timer,
  // but the request as a whole is late.
  for (std::size_t i = 0; i < head.size() && !client.peer_closed(); ++i) {
    if (!client.send(head.substr(i, 1))) break;
    client.read_bytes(1);  // a 100 ms deadline doubles as the pause
    if (Clock::now() - start > 3s) break;
  }
  client.set_timeout(3s);
  client.read_until_close();
  EXPECT_TRUE(client.peer_closed());
  EXPECT_LT(Clock::now() - start, 2s);
}

TEST(HttpServer, ClosesAnIdleKeepAliveConnection) {
  ServerOptions options = test_options();
  options.keep_alive_timeout = 200ms;
  Server server(options, echo);
  server.start();

  HttpClient client;
  ASSERT_TRUE(client.connect("127.0.0.1", server.port()));
  ASSERT_TRUE(client.send(get("/")));
  EXPECT_EQ(client.read_response().status, 200);
  const auto start = Clock::now();
  // Closed silently (RFC 9112 9.5): no 408 for a connection between requests.
  EXPECT_EQ(client.read_until_close(), "");
  EXPECT_TRUE(client.peer_closed());
  EXPECT_GE(Clock::now() - start, 150ms);
}

// A GET answered with `size` bytes by a server whose keep-alive period is
// `keep_alive`, from a client with a small receive buffer, so that most of
// the response waits in the server's queue.
struct LargeResponse {
  static ServerOptions options(std::chrono::milliseconds keep_alive) {
    ServerOptions options = test_options();
    options.keep_alive_timeout = keep_alive;
    return options;
  }
  LargeResponse(std::chrono::milliseconds keep_alive, std::size_t size)
      : body(size, 'b'), server(options(keep_alive), [this](Request&) {
          return Response{200, {}, body};
        }) {
    server.start();
    client.set_receive_buffer(8 * 1024);
    requested = client.connect("127.0.0.1", server.port()) && client.send(get("/"));
  }
  std::string body;
  Server server;
  HttpClient client{3s};
  bool requested = false;
};

// A response still leaving when the keep-alive period ends: a reader who
// takes bytes, however slowly, keeps the connection; one who took nothing for
// a whole period is dropped (its output would sit in the queue forever).
TEST(HttpServer, KeepsASlowReaderWhileItsResponseIsLeaving) {
  // The server sees the reader's progress only when its socket has room
  // again (a third of a send buffer of up to 4 MB), so the period is long
  // enough for that at the reader's pace, and the body long enough to still
  // be in the server's queue when the period ends.
  LargeResponse exchange(300ms, 16 * 1024 * 1024);
  ASSERT_TRUE(exchange.requested);
  const std::string head = exchange.client.read_until("\r\n\r\n");
  ASSERT_NE(head.find("200"), std::string::npos);
  // At most 32 MB/s: the queue outlasts the first period.
  const std::size_t size = exchange.body.size();
  std::size_t received = 0;
  while (received < size) {
    const std::string piece =
        exchange.client.read_bytes(std::min<std::size_t>(64 * 1024, size - received));
    if (piece.empty()) break;
    received += piece.size();
    std::this_thread::sleep_for(2ms);
  }
  EXPECT_EQ(received, size);
}

TEST(HttpServer, DropsAReaderThatTakesNothingForAKeepAlivePeriod) {
  LargeResponse exchange(100ms, 8 * 1024 * 1024);
  ASSERT_TRUE(exchange.requested);
  std::this_thread::sleep_for(1s);  // not reading: the server gives up
  const auto start = Clock::now();
  const std::string rest = exchange.client.read_until_close();
  EXPECT_TRUE(exchange.client.peer_closed());
  EXPECT_LT(rest.size(), exchange.body.size());
  EXPECT_LT(Clock::now() - start, 2s);
}

TEST(HttpServer, HoldsPipelinedRequestsBackWhileResponsesPileUp) {
  ServerOptions options = test_options();
  options.max_pending_output = 16 * 1024;
  std::atomic<int> calls{0};
  const std::string big(64 * 1024, 'b');
  Server server(options, [&](Request& request) {
    ++calls;
    return Response{200, {{"X-Path", std::string(request.path())}}, big};
  });
  server.start();

  HttpClient client;
  ASSERT_TRUE(client.connect("127.0.0.1", server.port()));
  constexpr int count = 300;  // 19 MiB of responses: more than socket buffers hold
  std::string requests;
  for (int i = 0; i < count; ++i) requests += get("/" + std::to_string(i));
  ASSERT_TRUE(client.send(requests));
  std::this_thread::sleep_for(300ms);
  // Not reading: the server must have stopped calling the application.
  EXPECT_LT(calls.load(), count);
  for (int i = 0; i < count; ++i) {
    HttpResponse response = client.read_response();
    ASSERT_TRUE(response.complete) << i;
    ASSERT_EQ(response.headers.get("X-Path"), "/" + std::to_string(i));
    ASSERT_EQ(response.body.size(), big.size());
  }
  EXPECT_EQ(calls.load(), count);
}

TEST(HttpServer, ServesIpv6) {
  Server server(test_options("::1"), [](Request& request) {
    return Response{200, {}, request.remote_address};
  });
  try {
    server.start();
  } catch (const std::system_error& error) {
    GTEST_SKIP() << "no IPv6 loopback: " << error.what();
  }
  HttpClient client;
  ASSERT_TRUE(client.connect("::1", server.port()));
  ASSERT_TRUE(client.send(get("/")));
  HttpResponse response = client.read_response();
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body.rfind("[::1]:", 0), 0u) << response.body;
}

TEST(HttpServer, ServesTlsWithACertificateFromFiles) {
  char dir_template[] = "/tmp/faye-http-tls-XXXXXX";
  ASSERT_NE(::mkdtemp(dir_template), nullptr);
  const std::filesystem::path dir = dir_template;
  const std::string cert = (dir / "cert.pem").string();
  const std::string key = (dir / "key.pem").string();
  const std::string command =
      "openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=localhost "
      "-addext subjectAltName=DNS:localhost,IP:127.0.0.1 -days 1 -keyout '" +
      key + "' -out '" + cert + "' >/dev/null 2>&1";
  ASSERT_EQ(std::system(command.c_str()), 0) << "openssl could not make a certificate";

  ServerOptions options = test_options();
  options.tls_cert_file = cert;
  options.tls_key_file = key;
  std::atomic<bool> secure{false};
  Server server(options, [&](Request& request) {
    secure = request.secure;
    return echo(request);
  });
  server.start();

  HttpClient client;
  ASSERT_TRUE(client.connect("127.0.0.1", server.port()));
  ASSERT_TRUE(client.start_tls(cert, "localhost"));
  ASSERT_TRUE(client.send(post("/secret", "over TLS")));
  HttpResponse response = client.read_response();
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "over TLS");
  EXPECT_TRUE(secure.load());
  client.close();
  std::filesystem::remove_all(dir);
}

TEST(HttpServer, RefusesToStartWithMissingTlsFiles) {
  ServerOptions options = test_options();
  options.tls_cert_file = "/nonexistent/cert.pem";
  options.tls_key_file = "/nonexistent/key.pem";
  Server server(options, echo);
  EXPECT_THROW(server.start(), std::system_error);
}

TEST(HttpServer, ServesOnTwoThreads) {
  ServerOptions options = test_options();
  options.threads = 2;
  std::mutex mutex;
  std::set<std::thread::id> threads;
  Server server(options, [&](Request& request) {
    std::lock_guard lock(mutex);
    threads.insert(std::this_thread::get_id());
    return echo(request);
  });
  server.start();

  // SO_REUSEPORT spreads connections by a hash of their addresses: with 40
  // connections, both loops get some (all on one: 2^-39).
  for (int i = 0; i < 40; ++i) {
    HttpClient client;
    ASSERT_TRUE(client.connect("127.0.0.1", server.port()));
    ASSERT_TRUE(client.send(get("/" + std::to_string(i), "Connection: close\r\n")));
    EXPECT_EQ(client.read_response().headers.get("X-Path"), "/" + std::to_string(i));
  }
  std::lock_guard lock(mutex);
  EXPECT_EQ(threads.size(), 2u);
}

// A field the application builds from request data must not smuggle a
// field or a response of its own in: such a response becomes a 500.
TEST(HttpServer, RefusesResponseFieldsThatWouldBreakTheHead) {
  Server server(test_options(), [](Request& request) -> Response {
    Response response{200, {}, "body"};
    const std::string_view path = request.path();
    if (path == "/crlf") response.headers.add("X-Echo", "a\r\nSet-Cookie: stolen=1");
    if (path == "/name") response.headers.add("Bad Name", "1");
    if (path == "/empty") response.headers.add("", "1");
    if (path == "/fine") response.headers.add("X-Fine!#$%&'*+-.^_`|~", "a, b");
    return response;
  });
  server.start();

  HttpClient client;
  ASSERT_TRUE(client.connect("127.0.0.1", server.port()));
  for (const char* path : {"/crlf", "/name", "/empty"}) {
    ASSERT_TRUE(client.send(get(path)));
    const HttpResponse response = client.read_response();
    EXPECT_EQ(response.status, 500) << path;
    EXPECT_FALSE(response.headers.contains("Set-Cookie"));
  }
  ASSERT_TRUE(client.send(get("/fine")));
  const HttpResponse fine = client.read_response();
  EXPECT_EQ(fine.status, 200);
  EXPECT_EQ(fine.headers.get("X-Fine!#$%&'*+-.^_`|~"), "a, b");
}

TEST(HttpServer, TurnsAnApplicationExceptionInto500) {
  Server server(test_options(), [](Request& request) -> Response {
    if (request.path() == "/throw") throw std::runtime_error("boom");
    return echo(request);
  });
  server.start();

  HttpClient client;
  ASSERT_TRUE(client.connect("127.0.0.1", server.port()));
  ASSERT_TRUE(client.send(get("/throw")));
  EXPECT_EQ(client.read_response().status, 500);
  // The request was read whole: the connection carries on.
  ASSERT_TRUE(client.send(get("/fine")));
  EXPECT_EQ(client.read_response().status, 200);
}

TEST(HttpServer, ForgetsAHijackedConnection) {
  Server server(test_options(), [](Request& request) {
    // Taking the connection (as WebSocket::accept does) and writing on it
    // ourselves: the server must add nothing, not even a response.
    std::shared_ptr<net::Connection> connection = std::move(request.connection);
    connection->write(std::string_view("RAW BYTES"));
    connection->close();
    return Response::hijacked();
  });
  server.start();

  HttpClient client;
  ASSERT_TRUE(client.connect("127.0.0.1", server.port()));
  ASSERT_TRUE(client.send(get("/hijack") + get("/never-parsed")));
  EXPECT_EQ(client.read_until_close(), "RAW BYTES");
  EXPECT_TRUE(client.peer_closed());
}

// Echoes whatever arrives, on a connection taken over from the server.
struct EchoProtocol final : net::Connection::Handler {
  void on_data(MutableBytes data) override { connection->write(Bytes(data)); }
  void on_closed(std::error_code) override {
    connection.reset();
    auto last = std::move(self);  // destroys this on return
  }
  std::shared_ptr<net::Connection> connection;
  std::shared_ptr<EchoProtocol> self;
};

TEST(HttpServer, HandsAnUpgradedConnectionOverWithItsEarlyBytes) {
  std::mutex mutex;
  std::string early;
  Server server(test_options(), [&](Request& request) {
    if (request.path() != "/echo") return Response{404, {}, "no"};
    {
      std::lock_guard lock(mutex);
      early = request.body;
    }
    auto protocol = std::make_shared<EchoProtocol>();
    protocol->self = protocol;
    protocol->connection = std::move(request.connection);
    EXPECT_TRUE(protocol->connection->reading_paused());
    protocol->connection->set_handler(protocol.get());
    protocol->connection->write(
        std::string_view("HTTP/1.1 101 Switching Protocols\r\n"
                         "Connection: Upgrade\r\nUpgrade: echo\r\n\r\n"));
    protocol->connection->write(std::string_view(request.body));
    protocol->connection->resume_reading();
    return Response::hijacked();
  });
  server.start();

  HttpClient client;
  ASSERT_TRUE(client.connect("127.0.0.1", server.port()));
  ASSERT_TRUE(client.send(get("/echo", "Connection: Upgrade\r\nUpgrade: echo\r\n") + "EARLY"));
  EXPECT_EQ(client.read_response().status, 101);
  EXPECT_EQ(client.read_bytes(5), "EARLY");
  // Not HTTP any more: the server would have answered this with 400.
  const std::string not_http = "\x01\x02 not http\r\n\r\n";
  ASSERT_TRUE(client.send(not_http));
  EXPECT_EQ(client.read_bytes(not_http.size()), not_http);
  {
    std::lock_guard lock(mutex);
    EXPECT_EQ(early, "EARLY");
  }

  // An upgrade the application declines is answered, then closed.
  HttpClient declined;
  ASSERT_TRUE(declined.connect("127.0.0.1", server.port()));
  ASSERT_TRUE(declined.send(get("/other", "Connection: Upgrade\r\nUpgrade: echo\r\n") + "xx"));
  HttpResponse response = declined.read_response();
  EXPECT_EQ(response.status, 404);
  EXPECT_EQ(response.headers.get("Connection"), "close");
  EXPECT_TRUE(declined.wait_for_close());
}

TEST(HttpServer, StopsGracefullyWithARequestInFlight) {
  std::promise<void> entered;
  std::atomic<bool> entered_once{false};
  Server server(test_options(), [&](Request& request) {
    if (request.path() == "/slow" && !entered_once.exchange(true)) {
      entered.set_value();
      std::this_thread::sleep_for(300ms);  // stop() is called meanwhile
    }
    return echo(request);
  });
  server.start();
  const std::uint16_t port = server.port();

  HttpClient idle;
  ASSERT_TRUE(idle.connect("127.0.0.1", port));
  ASSERT_TRUE(idle.send(get("/idle")));
  EXPECT_EQ(idle.read_response().status, 200);

  HttpClient busy;
  ASSERT_TRUE(busy.connect("127.0.0.1", port));
  ASSERT_TRUE(busy.send(get("/slow")));
  ASSERT_EQ(entered.get_future().wait_for(5s), std::future_status::ready);
  const auto start = Clock::now();
  server.stop();

  // The response in flight is delivered whole, saying the connection ends.
  HttpResponse response = busy.read_response();
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.headers.get("X-Path"), "/slow");
  EXPECT_EQ(response.headers.get("Connection"), "close");
  EXPECT_TRUE(busy.wait_for_close());
  // The idle keep-alive connection is closed.
  EXPECT_TRUE(idle.wait_for_close());

  server.wait();
  EXPECT_LT(Clock::now() - start, 2s);
  // Nobody listens any more.
  HttpClient late;
  EXPECT_FALSE(late.connect("127.0.0.1", port));
}

// Sends the request that the application takes over and reads its "TAKEN".
void request_takeover(HttpClient& client, const Server& server) {
  ASSERT_TRUE(client.connect("127.0.0.1", server.port()));
  ASSERT_TRUE(client.send(get("/ws")));
  EXPECT_EQ(client.read_until("\n"), "TAKEN\n");
}

TEST(HttpServer, StopNotifiesHijackedConnectionsAndWaitsForThem) {
  Server server(test_options(), [](Request& request) {
    std::shared_ptr<net::Connection> connection = std::move(request.connection);
    // What WebSocket does: its connection's handler says goodbye.
    struct Goodbye final : net::Connection::Handler {
      std::shared_ptr<net::Connection> connection;
      std::shared_ptr<Goodbye> self;  // until closed
      void on_data(MutableBytes) override {}
      void on_shutdown() override {
        connection->write(std::string_view("GOING AWAY"));
        connection->close();
      }
      void on_closed(std::error_code) override {
        connection.reset();
        self.reset();
      }
    };
    auto goodbye = std::make_shared<Goodbye>();
    goodbye->connection = connection;
    goodbye->self = goodbye;
    connection->set_handler(goodbye.get());
    connection->start();
    connection->write(std::string_view("TAKEN\n"));
    return Response::hijacked();
  });
  server.start();

  HttpClient client;
  ASSERT_NO_FATAL_FAILURE(request_takeover(client, server));
  const auto start = Clock::now();
  server.stop();
  EXPECT_EQ(client.read_until_close(), "GOING AWAY");
  client.close();
  server.wait();
  EXPECT_LT(Clock::now() - start, 2s);
}

// A connection the application took over and never closes is waited for
// until the shutdown timeout, then aborted.
TEST(HttpServer, StopAbortsHijackedConnectionsThatOutstayTheTimeout) {
  ServerOptions options = test_options();
  options.shutdown_timeout = 300ms;
  std::shared_ptr<net::Connection> kept;  // loop thread only, until the server has stopped
  Server server(options, [&](Request& request) {
    kept = std::move(request.connection);
    kept->write(std::string_view("TAKEN\n"));
    return Response::hijacked();
  });
  server.start();

  HttpClient client;
  ASSERT_NO_FATAL_FAILURE(request_takeover(client, server));
  const auto start = Clock::now();
  server.stop();
  EXPECT_TRUE(client.wait_for_close());
  server.wait();
  EXPECT_GE(Clock::now() - start, 250ms);
  EXPECT_LT(Clock::now() - start, 2s);
  ASSERT_TRUE(kept);
  EXPECT_FALSE(kept->is_open());
}

TEST(HttpServer, StopsWithinTheShutdownTimeoutWhateverThePeers) {
  ServerOptions options = test_options();
  options.shutdown_timeout = 300ms;
  Server server(options, echo);
  server.start();

  // A request that never completes and a peer that never reads.
  HttpClient stuck;
  ASSERT_TRUE(stuck.connect("127.0.0.1", server.port()));
  ASSERT_TRUE(stuck.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nabc"));
  std::this_thread::sleep_for(50ms);
  const auto start = Clock::now();
  server.stop();
  server.wait();
  EXPECT_LT(Clock::now() - start, 2s);
}

TEST(HttpServer, StopAndWaitAreIdempotentAndSafeBeforeStart) {
  {
    Server never_started(test_options(), echo);
    never_started.wait();  // nothing to wait for
  }
  Server server(test_options(), echo);
  server.start();
  server.stop();
  server.stop();
  server.wait();
  server.wait();
  server.start();  // a server runs once
  HttpClient client;
  EXPECT_FALSE(client.connect("127.0.0.1", server.port()));
}

TEST(HttpServer, RunReturnsAfterStopFromAnotherThread) {
  Server server(test_options(), echo);
  std::thread runner([&] { server.run(); });
  // run() starts the server; stop() before it has started must not be lost.
  std::this_thread::sleep_for(50ms);
  server.stop();
  runner.join();
  SUCCEED();
}

}  // namespace
}  // namespace faye::http
