// 10,000 parked long-polls, SSE streams and WebSockets on one producer's io thread: all are
// held, counted, and released when their clients leave, with the memory each one costs printed
// (the README's figure). Sized to finish in seconds; it needs 10,000 descriptors on each side.
#include <gtest/gtest.h>
#include <sys/resource.h>

#include <thread>

#include "hookbench_process.hpp"

namespace hookbench_test {
namespace {

constexpr int kConnections = 10'000;

// Opens `n` loopback connections and sends `request` on each; returns their descriptors.
std::vector<int> open_all(std::uint16_t port, int n, const std::string& request) {
  std::vector<int> fds;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  for (int i = 0; i < n; ++i) {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) break;
    if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        send(fd, request.data(), request.size(), MSG_NOSIGNAL) !=
            static_cast<ssize_t>(request.size())) {
      close(fd);
      break;
    }
    fds.push_back(fd);
  }
  return fds;
}

nlohmann::json report(std::uint16_t port) {
  const auto r = raw_exchange("127.0.0.1", port,
                              "GET /control/report HTTP/1.1\r\nHost: t\r\nConnection: close\r\n" +
                                  auth_line("/control/report") + "\r\n");
  return nlohmann::json::parse(r.body, nullptr, false);
}

// Polls the producer's report until `done` holds (20 s bound); returns the last report.
template <class Done>
nlohmann::json wait_report(std::uint16_t port, Done done) {
  const auto deadline = steady::now() + milliseconds(20'000);
  nlohmann::json j;
  do {
    j = report(port);
    if (j.is_object() && done(j)) return j;
    std::this_thread::sleep_for(milliseconds(50));
  } while (steady::now() < deadline);
  return j;
}

class many_connections : public ::testing::Test {
 protected:
  void SetUp() override {
    rlimit lim{};
    getrlimit(RLIMIT_NOFILE, &lim);
    if (lim.rlim_max < kConnections + 200) {
      GTEST_SKIP() << "the descriptor hard limit is " << lim.rlim_max << ", below "
                   << kConnections + 200;
    }
    lim.rlim_cur = lim.rlim_max;
    setrlimit(RLIMIT_NOFILE, &lim);
    // One event at once, the next 100 s later: every request below parks (or streams) idle.
    serve_.emplace(std::vector<std::string>{"serve", "--listen", "127.0.0.1:0", "--rate", "0.01",
                                            "--arrivals", "constant", "--warmup", "0s",
                                            "--duration", "60s", "--autostart", "--quiet"});
    const auto ready = json_line(*serve_, "ready", milliseconds(10'000));
    ASSERT_TRUE(ready) << serve_->err();
    port_ = ready->value("port", std::uint16_t{0});
  }
  void TearDown() override {
    for (int fd : fds_) close(fd);
  }

  // Opens every connection, waits until the producer holds them all (`held` reads the count
  // from the report), prints the memory per connection, closes them and waits for the release.
  void hold_and_release(const std::string& request, const char* what,
                        std::function<std::int64_t(const nlohmann::json&)> held) {
    const auto before = wait_report(port_, [](const auto&) { return true; });
    fds_ = open_all(port_, kConnections, request);
    ASSERT_EQ(static_cast<int>(fds_.size()), kConnections) << "could not open every connection";
    const auto full = wait_report(port_, [&](const auto& j) { return held(j) == kConnections; });
    ASSERT_EQ(held(full), kConnections) << full.dump();
    const double per = static_cast<double>(full.at("rss_bytes").at("max").get<std::int64_t>() -
                                           before.at("rss_bytes").at("max").get<std::int64_t>()) /
                       kConnections;
    std::cout << "[ figure ] producer memory per " << what << ": " << per << " bytes\n";
    RecordProperty("bytes_per_connection", std::to_string(per));
    EXPECT_LT(per, 64 * 1024) << "bounded memory per " << what;
    for (int fd : fds_) close(fd);
    fds_.clear();
    const auto after = wait_report(port_, [&](const auto& j) { return held(j) == 0; });
    EXPECT_EQ(held(after), 0) << "not released: " << after.dump();
  }

  std::optional<process> serve_;
  std::uint16_t port_ = 0;
  std::vector<int> fds_;
};

TEST_F(many_connections, ten_thousand_parked_long_polls_are_held_and_freed) {
  hold_and_release(
      "GET /events?after=1&wait=60000 HTTP/1.1\r\nHost: t\r\n" + auth_line("/events") + "\r\n",
      "parked long-poll",
      [](const nlohmann::json& j) { return j.at("polls").at("parked_now").get<std::int64_t>(); });
  const auto j = report(port_);
  EXPECT_EQ(j.at("polls").at("long_polls_abandoned"), kConnections);
  EXPECT_EQ(j.at("polls").at("parked_max"), kConnections);
}

TEST_F(many_connections, ten_thousand_sse_streams_are_held_and_freed) {
  hold_and_release("GET /stream?after=1 HTTP/1.1\r\nHost: t\r\n" + auth_line("/stream") + "\r\n",
                   "open SSE stream", [](const nlohmann::json& j) {
                     return j.at("streams").at("streams_open").get<std::int64_t>();
                   });
  EXPECT_EQ(report(port_).at("streams").at("streams_max"), kConnections);
}

TEST_F(many_connections, ten_thousand_websockets_are_held_and_freed) {
  hold_and_release(
      "GET /ws?after=1 HTTP/1.1\r\nHost: t\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n" +
          auth_line("/ws") + "\r\n",
      "open WebSocket", [](const nlohmann::json& j) {
        return j.at("websockets").at("streams_open").get<std::int64_t>();
      });
  EXPECT_EQ(report(port_).at("websockets").at("streams_max"), kConnections);
}

}  // namespace
}  // namespace hookbench_test
