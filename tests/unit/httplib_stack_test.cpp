// The cpp-httplib consumer stack's parts that need no producer: which stack serves which mode
// (and the one-line usage errors otherwise), the two variants' settings, and the bytes
// reconstructed from cpp-httplib's messages against the bytes that really crossed a socket.
#include "consumer/httplib_stack.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <mutex>
#include <string>
#include <thread>

#include "consumer/delivery_mode.hpp"

namespace hookbench {
namespace {

TEST(consumer_stack, beast_serves_every_mode) {
  for (const auto& m : delivery_modes()) EXPECT_NO_THROW(check_consumer_stack("beast", m));
}

TEST(consumer_stack, httplib_stacks_serve_poll_and_webhook) {
  for (auto stack : {"httplib", "httplib-nodelay"}) {
    for (auto mode : {"poll", "webhook"}) {
      ASSERT_NE(find_mode(mode), nullptr);
      EXPECT_NO_THROW(check_consumer_stack(stack, *find_mode(mode))) << stack << " " << mode;
    }
  }
}

TEST(consumer_stack, a_mode_without_an_httplib_strategy_is_a_usage_error) {
  mode_descriptor beast_only;
  beast_only.name = "beast-only";
  beast_only.stacks = {"beast"};
  try {
    check_consumer_stack("httplib-nodelay", beast_only);
    FAIL() << "accepted a mode without a cpp-httplib strategy";
  } catch (const usage_error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("--consumer-stack httplib-nodelay"), std::string::npos) << what;
    EXPECT_NE(what.find("--mode beast-only"), std::string::npos) << what;
    EXPECT_NE(what.find("poll|webhook"), std::string::npos) << what;
    EXPECT_EQ(what.find('\n'), std::string::npos) << what;
  }
  EXPECT_NO_THROW(check_consumer_stack("beast", beast_only));
}

TEST(consumer_stack, an_unknown_stack_is_a_usage_error) {
  EXPECT_FALSE(is_consumer_stack("curl"));
  EXPECT_EQ(consumer_stack_names(), "beast|httplib|httplib-nodelay");
  try {
    check_consumer_stack("curl", *find_mode("poll"));
    FAIL() << "accepted an unknown stack";
  } catch (const usage_error& e) {
    EXPECT_NE(std::string(e.what()).find("'curl'"), std::string::npos) << e.what();
  }
}

TEST(consumer_stack, settings_of_the_two_httplib_variants) {
  const auto defaults = httplib_settings_for("httplib", 2);
  EXPECT_FALSE(defaults.tcp_nodelay);
  EXPECT_EQ(defaults.keep_alive_max_count, 5u);  // the library's default, kept on purpose
  const auto nodelay = httplib_settings_for("httplib-nodelay", 2);
  EXPECT_TRUE(nodelay.tcp_nodelay);
  EXPECT_GE(nodelay.keep_alive_max_count, 100'000u);
  // A pool thread per connection the producer may hold (16 per subscriber), within [8, 512].
  EXPECT_EQ(defaults.server_threads, 32u);
  EXPECT_EQ(httplib_settings_for("httplib", 0).server_threads, 8u);
  EXPECT_EQ(httplib_settings_for("httplib", 1000).server_threads, 512u);
}

// --- bytes: reconstructed versus the wire ------------------------------------------------------

int loopback_socket(sockaddr_in& addr) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  timeval tv{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  addr = {};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return fd;
}

// Reads one HTTP message (head, then Content-Length bytes of body) from `fd`.
std::string read_message(int fd) {
  std::string in;
  char buf[4096];
  std::size_t need = std::string::npos;
  while (need == std::string::npos || in.size() < need) {
    const ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    in.append(buf, static_cast<std::size_t>(n));
    const auto head_end = in.find("\r\n\r\n");
    if (need == std::string::npos && head_end != std::string::npos) {
      std::size_t length = 0;
      const auto cl = in.find("Content-Length: ");
      if (cl != std::string::npos && cl < head_end) length = std::stoul(in.substr(cl + 16));
      need = head_end + 4 + length;
    }
  }
  return in;
}

struct logged {
  std::size_t request = 0, response = 0;
};

TEST(httplib_bytes, the_client_side_matches_the_wire) {
  sockaddr_in addr;
  const int listener = loopback_socket(addr);
  ASSERT_EQ(bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(listen(listener, 4), 0);
  socklen_t len = sizeof addr;
  getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len);
  const std::string replies[] = {
      "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 22\r\n\r\n"
      "{\"events\":[],\"next\":0}",
      "HTTP/1.1 410 Gone\r\nContent-Type: application/json\r\nContent-Length: 12\r\n\r\n"
      "{\"oldest\":7}",
      "HTTP/1.1 201 Created\r\nServer: x\r\nContent-Length: 0\r\n\r\n"};
  std::string requests[3];
  std::thread server([&] {
    const int fd = accept(listener, nullptr, nullptr);  // one keep-alive connection
    for (int i = 0; i < 3; ++i) {
      requests[i] = read_message(fd);
      send(fd, replies[i].data(), replies[i].size(), MSG_NOSIGNAL);
    }
    close(fd);
  });
  httplib::Client client("127.0.0.1", ntohs(addr.sin_port));
  client.set_keep_alive(true);
  client.set_read_timeout(std::chrono::seconds(5));
  logged last;
  client.set_logger([&](const httplib::Request& req, const httplib::Response& res) {
    last = {detail::httplib_request_bytes(req), detail::httplib_response_bytes(res)};
  });
  std::size_t got[3][2] = {};
  for (const char* target : {"/events?after=0&limit=1000", "/events?after=3&limit=1"}) {
    auto res = client.Get(target);
    ASSERT_TRUE(res) << httplib::to_string(res.error());
    const int i = res->status == 200 ? 0 : 1;
    got[i][0] = last.request;
    got[i][1] = last.response;
  }
  auto res =
      client.Post("/subscriptions", R"({"url":"http://127.0.0.1:1/hook/0"})", "application/json");
  ASSERT_TRUE(res) << httplib::to_string(res.error());
  got[2][0] = last.request;
  got[2][1] = last.response;
  server.join();
  close(listener);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(got[i][0], requests[i].size()) << requests[i];
    EXPECT_EQ(got[i][1], replies[i].size()) << replies[i];
  }
}

TEST(httplib_bytes, the_server_side_matches_the_wire) {
  httplib::Server server;
  server.Post("/hook/0", [](const httplib::Request&, httplib::Response& res) { res.status = 204; });
  server.Post("/hook/1", [](const httplib::Request&, httplib::Response& res) {
    res.status = 422;
    res.set_content(R"({"error":"event id 0 outside the producer's range 1..9"})",
                    "application/json");
  });
  server.Get("/hook/0", [](const httplib::Request&, httplib::Response& res) {
    res.status = 405;
    res.set_header("Allow", "POST");
    res.set_content(R"({"error":"webhooks are delivered with POST"})", "application/json");
  });
  std::mutex mutex;  // the logger runs on a pool thread
  logged last;
  server.set_logger([&](const httplib::Request& req, const httplib::Response& res) {
    std::lock_guard lock(mutex);
    last = {detail::httplib_request_bytes(req), detail::httplib_response_bytes(res)};
  });
  const int port = server.bind_to_any_port("127.0.0.1");
  ASSERT_GT(port, 0);
  std::thread listener([&] { server.listen_after_bind(); });
  const std::string body = R"({"id":3,"t":123456789,"payload":"abc"})";
  const std::string requests[] = {
      "POST /hook/0 HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
      "Content-Length: " +
          std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body,
      "POST /hook/1 HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: " + std::to_string(body.size()) +
          "\r\nConnection: close\r\n\r\n" + body,
      "GET /hook/0?x=1 HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"};
  for (const auto& request : requests) {
    sockaddr_in addr;
    const int fd = loopback_socket(addr);
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    send(fd, request.data(), request.size(), MSG_NOSIGNAL);
    std::string response;
    char buf[4096];
    for (ssize_t n; (n = recv(fd, buf, sizeof buf, 0)) > 0;) {
      response.append(buf, static_cast<std::size_t>(n));
    }
    close(fd);
    // The logger runs once the response is written, before the connection closes.
    std::lock_guard lock(mutex);
    EXPECT_EQ(last.request, request.size()) << request;
    EXPECT_EQ(last.response, response.size()) << response;
  }
  server.stop();
  listener.join();
}

}  // namespace
}  // namespace hookbench
