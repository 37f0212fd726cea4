// WebSocket message limits in-process on 127.0.0.1:0: a message past an end's max_message is
// not buffered; the connection is closed with 1009 (message too big), on the server side (a
// raw client speaking the frames itself) and on the client side (ws_connect).
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "http/server.hpp"
#include "http/websocket.hpp"

namespace hookbench {
namespace {

namespace net = boost::asio;

// A server whose every request is upgraded with `h`.
std::unique_ptr<http::server> upgrading_server(net::io_context& ioc, http::ws_handlers h) {
  auto s = std::make_unique<http::server>(
      ioc, host_port{"127.0.0.1", 0}, http::server_options{},
      [h](http::request&&, http::reply_fn reply) { reply.upgrade_websocket(h); });
  s->start();
  return s;
}

// One masked client frame (mask key 0, so the payload goes as it is).
std::string client_frame(unsigned char opcode, const std::string& payload) {
  std::string f(1, static_cast<char>(0x80 | opcode));
  if (payload.size() < 126) {
    f += static_cast<char>(0x80 | payload.size());
  } else {
    f += static_cast<char>(0x80 | 126);
    f += static_cast<char>((payload.size() >> 8) & 0xff);
    f += static_cast<char>(payload.size() & 0xff);
  }
  f += std::string(4, '\0');
  return f + payload;
}

TEST(websocket_limits, a_message_past_the_servers_maximum_is_closed_with_1009) {
  net::io_context ioc;
  int messages = 0;
  http::ws_handlers h;
  h.on_message = [&](std::string) { ++messages; };
  h.max_message = 1024;
  auto server = upgrading_server(ioc, h);
  const std::uint16_t port = server->port();
  std::string received;
  std::atomic<bool> done{false};
  std::thread peer([&] {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    timeval tv{5, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
      const std::string upgrade =
          "GET /ws HTTP/1.1\r\nHost: t\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
          "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
      (void)!send(fd, upgrade.data(), upgrade.size(), MSG_NOSIGNAL);
      char buf[4096];
      ssize_t n = 0;
      // The frames go once the server has answered, as a client waits for its 101.
      while (received.find("\r\n\r\n") == std::string::npos &&
             (n = recv(fd, buf, sizeof buf, 0)) > 0) {
        received.append(buf, static_cast<std::size_t>(n));
      }
      const std::string frames =
          client_frame(0x1, "small") + client_frame(0x1, std::string(8 * 1024, 'x'));
      (void)!send(fd, frames.data(), frames.size(), MSG_NOSIGNAL);
      while ((n = recv(fd, buf, sizeof buf, 0)) > 0) {
        received.append(buf, static_cast<std::size_t>(n));
      }
    }
    close(fd);
    done = true;
  });
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(8);
  while (!done && std::chrono::steady_clock::now() < deadline) {
    ioc.run_for(std::chrono::milliseconds(50));
  }
  peer.join();
  const auto head_end = received.find("\r\n\r\n");
  ASSERT_NE(head_end, std::string::npos) << received;
  EXPECT_EQ(received.rfind("HTTP/1.1 101", 0), 0u) << received;
  // The close frame: FIN + opcode 8, length >= 2, code 1009 (0x03f1).
  const std::string frames = received.substr(head_end + 4);
  ASSERT_GE(frames.size(), 4u);
  EXPECT_EQ(static_cast<unsigned char>(frames[0]), 0x88);
  EXPECT_EQ(static_cast<unsigned char>(frames[2]), 0x03);
  EXPECT_EQ(static_cast<unsigned char>(frames[3]), 0xf1);
  EXPECT_EQ(messages, 1);  // the small one
}

TEST(websocket_limits, a_message_past_the_clients_maximum_ends_the_connection) {
  net::io_context ioc;
  http::ws_handlers server_side;
  server_side.on_open = [](std::shared_ptr<http::ws_connection> ws) {
    ws->send("small");
    ws->send(std::string(64 * 1024, 'y'));
    ws->send("after");
  };
  auto server = upgrading_server(ioc, server_side);
  std::vector<std::size_t> got;
  bool closed = false;
  http::ws_handlers client_side;
  client_side.on_message = [&](std::string m) { got.push_back(m.size()); };
  client_side.on_close = [&] {
    closed = true;
    ioc.stop();
  };
  client_side.max_message = 4096;
  http::ws_connect(ioc, {"127.0.0.1", server->port()}, "/ws", {}, client_side, 5 * kNanosPerSecond);
  ioc.run_for(std::chrono::seconds(8));
  EXPECT_TRUE(closed);
  EXPECT_EQ(got, std::vector<std::size_t>{5});
}

}  // namespace
}  // namespace hookbench
