// websocketpp_echo: a websocketpp (0.8, Asio transport, no TLS) echo server, a
// peer in bench/compare.
//
//     websocketpp_echo PORT     (0 picks a free port; prints `listening on PORT`)
//
// The library's stock server config on one thread, on 127.0.0.1: every
// message goes back with its own opcode. Its access and error logs are off,
// as anyone measuring it would set them; websocketpp answers pings and
// completes closes by itself.
#include <csignal>
#include <cstdio>
#include <cstdlib>

#include <boost/asio/signal_set.hpp>
#include <websocketpp/config/asio_no_tls.hpp>
#include <websocketpp/server.hpp>

using Server = websocketpp::server<websocketpp::config::asio>;

int main(int argc, char** argv) {
  char* end = nullptr;
  long port = argc == 2 ? std::strtol(argv[1], &end, 10) : -1;
  if (argc != 2 || *end || port < 0 || port > 65535) {
    std::fprintf(stderr, "usage: websocketpp_echo PORT   (0 picks a free port)\n");
    return 2;
  }

  Server server;
  server.clear_access_channels(websocketpp::log::alevel::all);
  server.clear_error_channels(websocketpp::log::elevel::all);
  server.init_asio();
  server.set_reuse_addr(true);
  server.set_listen_backlog(4096);
  // After accept (the socket_init handler runs before the socket is open).
  server.set_tcp_post_init_handler([&server](websocketpp::connection_hdl connection) {
    boost::system::error_code ignored;
    server.get_con_from_hdl(connection)
        ->get_raw_socket()
        .set_option(boost::asio::ip::tcp::no_delay(true), ignored);
  });
  server.set_message_handler(
      [&server](websocketpp::connection_hdl connection, Server::message_ptr message) {
        websocketpp::lib::error_code ignored;  // the peer may be gone already
        server.send(connection, message->get_payload(), message->get_opcode(), ignored);
      });

  server.listen(boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"),
                                               static_cast<unsigned short>(port)));
  server.start_accept();
  boost::system::error_code error;
  auto local = server.get_local_endpoint(error);
  if (error) {
    std::fprintf(stderr, "websocketpp_echo: %s\n", error.message().c_str());
    return 1;
  }

  boost::asio::signal_set stop(server.get_io_service(), SIGTERM, SIGINT);
  stop.async_wait([&server](const boost::system::error_code&, int) { server.stop(); });

  std::printf("listening on %u\n", local.port());
  std::fflush(stdout);
  server.run();
}
