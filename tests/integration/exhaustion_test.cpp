// What a peer without a token can make a real `hookbench serve` hold: 64 MiB of chunk extension
// and 64 MiB of trailer (which Beast's header limit does not cover) grow its RSS by less than
// 16 MiB, and it keeps serving; a connection that sends nothing is closed after
// --first-request-timeout; connections past --max-connections-per-address are closed at once;
// --max-connections is lowered to the open-file limit, and serve says so.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <thread>

#include "hookbench_process.hpp"

namespace hookbench_test {
namespace {

// VmRSS or VmHWM of `pid` in bytes (0 when unreadable).
std::size_t status_bytes(pid_t pid, const std::string& field) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(field + ":", 0) == 0) return std::stoul(line.substr(field.size() + 1)) * 1024;
  }
  return 0;
}

// A loopback connection; sends and receives bounded by `timeout_s`.
class peer {
 public:
  peer(std::uint16_t port, int timeout_s) : fd_(socket(AF_INET, SOCK_STREAM, 0)) {
    timeval tv{timeout_s, 0};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
    connected_ = connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  }
  ~peer() { close(fd_); }
  peer(const peer&) = delete;
  peer& operator=(const peer&) = delete;

  bool connected() const { return connected_; }
  // False once the server has closed (a refused request stops early).
  bool send_all(std::string_view bytes) {
    std::size_t sent = 0;
    while (sent < bytes.size()) {
      const ssize_t n = send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) return false;
      sent += static_cast<std::size_t>(n);
    }
    return true;
  }
  // True when the server closed (EOF or reset) before the receive timeout.
  bool closed_by_server() {
    char buf[4096];
    for (;;) {
      const ssize_t n = recv(fd_, buf, sizeof buf, 0);
      if (n > 0) {
        in_.append(buf, static_cast<std::size_t>(n));
        continue;
      }
      return n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK);
    }
  }
  const std::string& received() const { return in_; }

 private:
  int fd_;
  bool connected_ = false;
  std::string in_;
};

struct serve_process {
  std::optional<process> p;
  std::uint16_t port = 0;
  explicit serve_process(std::vector<std::string> extra) {
    std::vector<std::string> args{"serve", "--listen", "127.0.0.1:0", "--quiet"};
    args.insert(args.end(), extra.begin(), extra.end());
    p.emplace(args);
    if (auto ready = json_line(*p, "ready", milliseconds(10'000))) {
      port = ready->value("port", std::uint16_t{0});
    }
  }
  unsigned ping() { return raw_http_status("127.0.0.1", port, "GET", "/control/ping"); }
  nlohmann::json report() {
    const auto r = raw_exchange("127.0.0.1", port,
                                "GET /control/report HTTP/1.1\r\nHost: x\r\nConnection: close\r\n" +
                                    auth_line("/control/report") + "\r\n");
    return nlohmann::json::parse(r.body, nullptr, false);
  }
};

// Sends `head`, then up to 64 MiB of `filler` in 1 MiB pieces, then `tail`: returns the MiB
// the server took before it closed the connection.
int send_flood(std::uint16_t port, const std::string& head, const std::string& tail) {
  peer c(port, 10);
  if (!c.connected() || !c.send_all(head)) return -1;
  const std::string mib(1 << 20, 'a');
  int sent = 0;
  for (; sent < 64; ++sent) {
    if (!c.send_all(mib)) break;
  }
  if (sent == 64) c.send_all(tail);
  c.closed_by_server();
  return sent;
}

TEST(exhaustion, chunk_extensions_and_trailers_without_a_token_stay_bounded) {
  serve_process serve({});
  ASSERT_NE(serve.port, 0) << serve.p->err();
  ASSERT_EQ(serve.ping(), 200u);
  const pid_t pid = serve.p->pid();
  const std::size_t rss_before = status_bytes(pid, "VmRSS");
  ASSERT_GT(rss_before, 0u);
  const std::string head =
      "POST /subscriptions HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
  // 64 MiB of one chunk extension, then of one trailer field: neither line ever ends in time.
  const int ext_mib = send_flood(serve.port, head + "1;ext=", "\r\nx\r\n0\r\n\r\n");
  const int trailer_mib = send_flood(serve.port, head + "1\r\nx\r\n0\r\nX-Trailer: ", "\r\n\r\n");
  // VmHWM is the peak since start: a bound on the RSS at any moment of the floods.
  const std::size_t peak = status_bytes(pid, "VmHWM");
  const double growth_mib = (static_cast<double>(peak) - static_cast<double>(rss_before)) / 1048576;
  std::printf(
      "[measure] rss before %.1f MiB, peak %.1f MiB, growth %.1f MiB; server took %d and "
      "%d MiB\n",
      static_cast<double>(rss_before) / 1048576, static_cast<double>(peak) / 1048576, growth_mib,
      ext_mib, trailer_mib);
  EXPECT_LT(growth_mib, 16.0);
  EXPECT_LT(ext_mib, 64) << "the server read the whole chunk extension";
  EXPECT_LT(trailer_mib, 64) << "the server read the whole trailer";
  // It keeps serving, and counted both as 413.
  EXPECT_EQ(serve.ping(), 200u);
  const auto report = serve.report();
  ASSERT_TRUE(report.is_object());
  EXPECT_EQ(report.at("rejected").value("413", 0), 2) << report.at("rejected").dump();
}

TEST(exhaustion, a_silent_connection_is_closed_at_the_first_request_timeout) {
  serve_process serve({"--first-request-timeout", "1s"});
  ASSERT_NE(serve.port, 0) << serve.p->err();
  peer silent(serve.port, 15);
  ASSERT_TRUE(silent.connected());
  const auto t0 = steady::now();
  EXPECT_TRUE(silent.closed_by_server()) << "held for 15 s";
  const double held = std::chrono::duration<double>(steady::now() - t0).count();
  EXPECT_GE(held, 0.9);
  EXPECT_LT(held, 10.0);
  EXPECT_EQ(silent.received(), "");
  EXPECT_EQ(serve.ping(), 200u);
}

TEST(exhaustion, connections_past_the_per_address_cap_are_closed_and_counted) {
  serve_process serve({"--max-connections-per-address", "3", "--first-request-timeout", "60s"});
  ASSERT_NE(serve.port, 0) << serve.p->err();
  std::vector<std::unique_ptr<peer>> held;
  for (int i = 0; i < 3; ++i) {
    held.push_back(std::make_unique<peer>(serve.port, 5));
    ASSERT_TRUE(held.back()->connected());
  }
  for (int i = 0; i < 2; ++i) {
    peer extra(serve.port, 5);
    ASSERT_TRUE(extra.connected());  // the kernel accepts; the server closes it
    EXPECT_TRUE(extra.closed_by_server()) << "connection " << 3 + i << " from 127.0.0.1 held";
    EXPECT_EQ(extra.received(), "");
  }
  held.clear();
  // Served once the address has room again (the server notices the closes at once, but the
  // test cannot see when: bounded retry).
  unsigned status = 0;
  int refused_meanwhile = 0;
  for (int i = 0; i < 200 && status != 200; ++i) {
    status = serve.ping();
    if (status != 200) {
      ++refused_meanwhile;
      std::this_thread::sleep_for(milliseconds(20));
    }
  }
  ASSERT_EQ(status, 200u);
  const auto report = serve.report();
  ASSERT_TRUE(report.is_object());
  EXPECT_EQ(report.value("refused_per_address", -1), 2 + refused_meanwhile) << report.dump();
  EXPECT_EQ(report.value("refused_connections", -1), 0);
}

TEST(exhaustion, max_connections_is_lowered_to_the_open_file_limit_and_said_once) {
  process serve(raw_command, {"sh", "-c",
                              std::string("ulimit -n 512 && exec '") + HOOKBENCH_BIN +
                                  "' serve --listen 127.0.0.1:0"});
  const auto ready = json_line(serve, "ready", milliseconds(10'000));
  ASSERT_TRUE(ready) << serve.err();
  serve.pump_until([&] { return serve.err().find("listening") != std::string::npos; },
                   milliseconds(5000));
  const std::string expected =
      "hookbench serve: --max-connections 50000 lowered to 256: the open-file limit "
      "(RLIMIT_NOFILE) is 512, 256 kept for files and outgoing connections\n";
  EXPECT_NE(serve.err().find(expected), std::string::npos) << serve.err();
  std::size_t count = 0;
  for (std::size_t at = 0; (at = serve.err().find("lowered to", at)) != std::string::npos; ++at) {
    ++count;
  }
  EXPECT_EQ(count, 1u) << serve.err();
  const auto port = ready->value("port", std::uint16_t{0});
  EXPECT_EQ(raw_http_status("127.0.0.1", port, "GET", "/control/ping"), 200u);
  const auto help = run_hookbench({"serve", "--help"}, milliseconds(10'000));
  for (const char* option :
       {"--first-request-timeout", "--max-connections-per-address", "--max-connections"}) {
    EXPECT_NE(help.out.find(option), std::string::npos) << option;
  }
}

}  // namespace
}  // namespace hookbench_test
