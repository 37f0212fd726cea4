// HTTPS end to end: `run --tls` delivers every event exactly once by polling, webhooks (kept
// alive or a new connection per POST), server-sent events and WebSocket, with the handshakes
// counted on both sides; a plain-HTTP client gets no answer from a TLS server, which keeps
// serving; a client that trusts another CA is refused.
#include <gtest/gtest.h>

#include <csignal>
#include <filesystem>

#include "hookbench_process.hpp"

namespace hookbench_test {
namespace {

using nlohmann::json;

const json& tls_of(const run_result& r) {
  EXPECT_TRUE(r.exit.exited && r.exit.code == 0) << r.err;
  EXPECT_TRUE(r.result.is_object()) << "no result; stderr:\n" << r.err;
  EXPECT_EQ(r.result.at("config").at("tls"), true);
  const auto& m = r.metrics();
  EXPECT_GT(m.at("produced").get<std::uint64_t>(), 0u);
  EXPECT_EQ(m.at("delivered"), m.at("expected"));
  EXPECT_EQ(m.at("lost"), 0);
  EXPECT_EQ(m.at("duplicates"), 0);
  EXPECT_EQ(m.at("requests").at("failed"), 0);
  EXPECT_EQ(m.at("tls").at("handshake_failures"), 0);
  return m.at("tls");
}

std::vector<std::string> short_run(std::vector<std::string> args) {
  args.insert(args.end(), {"--tls", "--rate", "200", "--duration", "1500ms", "--warmup", "300ms",
                           "--drain", "2s"});
  return args;
}

TEST(tls, poll_delivers_every_event_over_https) {
  const auto r =
      hookbench_run(short_run({"--mode", "poll", "--interval", "50ms", "--subscribers", "2"}));
  const auto& t = tls_of(r);
  // One keep-alive connection per subscriber, plus the consumer's probe, setup and control
  // connections and the orchestrator's fetches: each a handshake with the producer.
  EXPECT_GE(t.at("handshakes_producer").get<int>(), 2);
  EXPECT_LE(t.at("handshakes_producer").get<int>(), 20);
  EXPECT_EQ(t.at("handshakes_consumer"), 0);  // no receiver
}

TEST(tls, webhook_keepalive_handshakes_once_per_connection) {
  const auto r = hookbench_run(short_run(
      {"--mode", "webhook", "--webhook-connection", "keepalive", "--webhook-concurrency", "4"}));
  const auto& t = tls_of(r);
  const auto posts = r.metrics().at("requests").at("webhook_posts").get<int>();
  EXPECT_GT(posts, 100);
  // Both ends count the same handshakes: the dispatcher's and the receiver's.
  EXPECT_EQ(t.at("handshakes_consumer"), t.at("webhook_handshakes"));
  EXPECT_EQ(t.at("webhook_handshakes"), t.at("webhook_connections_opened"));
  EXPECT_GE(t.at("webhook_handshakes").get<int>(), 1);
  EXPECT_LE(t.at("webhook_handshakes").get<int>(), 4);  // the pool, not one per POST
}

TEST(tls, webhook_new_connection_handshakes_once_per_post) {
  const auto r = hookbench_run(short_run({"--mode", "webhook", "--webhook-connection", "new"}));
  const auto& t = tls_of(r);
  const auto posts = r.metrics().at("requests").at("webhook_posts").get<int>();
  EXPECT_GT(posts, 100);
  // The receiver's count is taken at the consumer's report, the dispatcher's at the producer's,
  // later: the tail POSTs between the two (each with its handshake) are the dispatcher's only.
  EXPECT_LE(t.at("handshakes_consumer").get<int>(), t.at("webhook_handshakes").get<int>());
  EXPECT_GE(t.at("handshakes_consumer").get<int>(), posts);
  EXPECT_EQ(t.at("webhook_handshakes"), t.at("webhook_connections_opened"));
  // Every POST of the run (warm-up and tail load too) had its own connection and handshake.
  EXPECT_GE(t.at("webhook_handshakes").get<int>(), posts);
  EXPECT_GE(t.at("handshakes_per_event").get<double>(), 1.0);
}

TEST(tls, sse_and_websocket_deliver_every_event_over_tls) {
  for (const char* mode : {"sse", "websocket"}) {
    SCOPED_TRACE(mode);
    const auto r = hookbench_run(short_run({"--mode", mode}));
    const auto& t = tls_of(r);
    EXPECT_GE(t.at("handshakes_producer").get<int>(), 1);
  }
}

TEST(tls, httplib_consumer_stack_refuses_tls_in_one_line) {
  const auto r = run_hookbench({"run", "--mode", "poll", "--tls", "--consumer-stack", "httplib"},
                               milliseconds(10'000));
  ASSERT_TRUE(r.exit.exited);
  EXPECT_NE(r.exit.code, 0);
  EXPECT_NE(r.err.find("--tls"), std::string::npos) << r.err;
  EXPECT_EQ(lines_of(r.err).size(), 1u) << r.err;
}

class tls_serve : public ::testing::Test {
 protected:
  void SetUp() override {
    serve_.emplace(std::vector<std::string>{"serve", "--listen", "127.0.0.1:0", "--tls",
                                            "--duration", "60s", "--quiet"});
    auto ready = json_line(*serve_, "ready", milliseconds(10'000));
    ASSERT_TRUE(ready) << "no ready line; stderr: " << serve_->err();
    EXPECT_EQ(ready->value("tls", false), true);
    ca_ = ready->value("ca_file", "");
    ASSERT_TRUE(std::filesystem::exists(ca_)) << ca_;
    port_ = ready->value("port", std::uint16_t{0});
    ASSERT_NE(port_, 0);
  }

  std::vector<std::string> client(const std::string& ca) const {
    return {"client",   "--producer", "https://127.0.0.1:" + std::to_string(port_),
            "--tls-ca", ca,           "--mode",
            "poll",     "--timeout",  "2s"};
  }

  std::optional<process> serve_;
  std::string ca_;
  std::uint16_t port_ = 0;
};

TEST_F(tls_serve, plain_http_gets_no_answer_and_the_server_keeps_serving) {
  // TLS expects a ClientHello: a plain request is no handshake, and no HTTP comes back.
  EXPECT_EQ(raw_http_status("127.0.0.1", port_, "GET", "/control/ping"), 0u);
  // A client that trusts the run's CA then sets up over HTTPS (ready line), and is let go.
  process c(client(ca_));
  auto ready = json_line(c, "ready", milliseconds(15'000));
  ASSERT_TRUE(ready) << "client not ready; stderr: " << c.err();
  kill(c.pid(), SIGTERM);
  EXPECT_TRUE(c.wait(milliseconds(10'000)).exited);
  // The directory of generated files goes with the server.
  kill(serve_->pid(), SIGTERM);
  const auto e = serve_->wait(milliseconds(10'000));
  EXPECT_TRUE(e.exited && e.code == 0) << serve_->err();
  EXPECT_FALSE(std::filesystem::exists(ca_));
}

TEST_F(tls_serve, client_trusting_another_ca_is_refused) {
  // Another run's CA: a valid certificate authority, just not the one that signed this server.
  process other({"serve", "--listen", "127.0.0.1:0", "--tls", "--quiet"});
  auto ready = json_line(other, "ready", milliseconds(10'000));
  ASSERT_TRUE(ready) << other.err();
  const auto r = run_hookbench(client(ready->value("ca_file", "")), milliseconds(20'000));
  kill(other.pid(), SIGTERM);
  other.wait(milliseconds(10'000));
  ASSERT_TRUE(r.exit.exited);
  EXPECT_EQ(r.exit.code, 1) << r.err;
  EXPECT_NE(r.err.find("certificate verify failed"), std::string::npos) << r.err;
  EXPECT_EQ(lines_of(r.err).size(), 1u) << r.err;
}

TEST(tls_cli, https_producer_needs_a_ca) {
  const auto r =
      run_hookbench({"client", "--producer", "https://127.0.0.1:1"}, milliseconds(10'000));
  ASSERT_TRUE(r.exit.exited);
  EXPECT_EQ(r.exit.code, 2);
  EXPECT_NE(r.err.find("--tls-ca: required for an https:// producer"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace hookbench_test
