// `hookbench serve` on its own, as a user runs it: it announces its port on stdout, and every bad
// request (malformed HTTP, bad JSON, unknown path, oversized body, wrong method, expired or
// impossible cursor) gets its status with a reason in the body, is counted, and the server
// still answers GET /control/ping afterwards. SIGTERM ends it cleanly.
#include <gtest/gtest.h>

#include <thread>

#include "hookbench_process.hpp"

namespace hookbench_test {
namespace {

// One request on a fresh loopback connection; reads until the server closes (5 s bound).
http_reply send_raw(std::uint16_t port, const std::string& raw) {
  return raw_exchange("127.0.0.1", port, raw);
}

std::string request(const std::string& method, const std::string& target,
                    const std::string& body = {}) {
  std::string raw = method + " " + target + " HTTP/1.1\r\nHost: test\r\nConnection: close\r\n" +
                    auth_line(target);
  if (!body.empty() || method == "POST") {
    raw +=
        "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
  }
  return raw + "\r\n" + body;
}

std::string reason_of(const http_reply& r) {
  auto j = nlohmann::json::parse(r.body, nullptr, false);
  return j.is_object() && j.contains("error") && j["error"].is_string()
             ? j["error"].get<std::string>()
             : "";
}

class serve_test : public ::testing::Test {
 protected:
  void SetUp() override {
    // Retention 5 at 1000 events/s: a cursor of 0 expires within milliseconds of the start.
    serve_.emplace(std::vector<std::string>{"serve", "--listen", "127.0.0.1:0", "--rate", "1000",
                                            "--arrivals", "constant", "--retention", "5",
                                            "--warmup", "0s", "--duration", "60s"});
    auto line = serve_->stdout_line(milliseconds(10'000));
    ASSERT_TRUE(line) << "no ready line; stderr: " << serve_->err();
    const auto ready = nlohmann::json::parse(*line, nullptr, false);
    ASSERT_TRUE(ready.is_object()) << *line;
    EXPECT_EQ(ready.value("event", ""), "ready");
    EXPECT_EQ(ready.value("role", ""), "producer");
    EXPECT_EQ(ready.value("pid", 0), serve_->pid());
    port_ = ready.value("port", std::uint16_t{0});
    ASSERT_NE(port_, 0);
  }

  void expect_alive(const std::string& after) {
    const auto r = send_raw(port_, request("GET", "/control/ping"));
    EXPECT_EQ(r.status, 200u) << "ping after " << after << ": " << r.raw;
    EXPECT_TRUE(nlohmann::json::parse(r.body, nullptr, false).contains("now_ns")) << r.body;
  }

  // Sends `raw`, expects `status` with a non-empty reason, then a live server.
  void expect_rejected(const std::string& what, const std::string& raw, unsigned status) {
    const auto r = send_raw(port_, raw);
    EXPECT_EQ(r.status, status) << what << ": " << r.raw.substr(0, 300);
    EXPECT_FALSE(reason_of(r).empty()) << what << " without a reason: " << r.body;
    expect_alive(what);
  }

  std::optional<process> serve_;
  std::uint16_t port_ = 0;
};

TEST_F(serve_test, every_bad_request_gets_status_reason_and_server_keeps_serving) {
  expect_rejected("malformed HTTP", "NOT HTTP AT ALL\r\n\r\n", 400);
  expect_rejected("bad JSON subscription", request("POST", "/subscriptions", "{\"url\":"), 400);
  expect_rejected("subscription without url", request("POST", "/subscriptions", "{}"), 400);
  expect_rejected("unknown path", request("GET", "/no/such/path"), 404);
  expect_rejected("oversized body", request("POST", "/subscriptions", std::string(70 * 1024, ' ')),
                  413);
  expect_rejected("wrong method", request("PUT", "/events"), 405);
  expect_rejected("cursor ahead of the newest event", request("GET", "/events?after=1000000"), 400);
  expect_rejected("bad limit", request("GET", "/events?after=0&limit=0"), 400);

  // Start generating, then wait (bounded) until events 1.. are evicted: after=0 is expired.
  const auto start = send_raw(port_, request("POST", "/control/start"));
  ASSERT_EQ(start.status, 200u) << start.raw;
  http_reply expired;
  const auto deadline = steady::now() + milliseconds(10'000);
  while (steady::now() < deadline) {
    expired = send_raw(port_, request("GET", "/events?after=0"));
    if (expired.status != 200) break;
    std::this_thread::sleep_for(milliseconds(5));  // no signal for "6 events exist": poll
  }
  EXPECT_EQ(expired.status, 410u) << expired.raw;
  EXPECT_NE(reason_of(expired).find("expired"), std::string::npos) << expired.body;
  const auto j = nlohmann::json::parse(expired.body, nullptr, false);
  EXPECT_TRUE(j.contains("oldest") && j["oldest"].get<std::uint64_t>() > 1) << expired.body;
  expect_alive("expired cursor");

  // A second start is a conflict, not a restart.
  const auto again = send_raw(port_, request("POST", "/control/start"));
  EXPECT_EQ(again.status, 409u) << again.raw;

  // Every rejection is counted in the producer's report.
  const auto report = send_raw(port_, request("GET", "/control/report"));
  ASSERT_EQ(report.status, 200u);
  const auto rejected = nlohmann::json::parse(report.body, nullptr, false)
                            .value("rejected", nlohmann::json::object());
  EXPECT_EQ(rejected.value("400", 0), 5) << rejected.dump();
  EXPECT_EQ(rejected.value("404", 0), 1) << rejected.dump();
  EXPECT_EQ(rejected.value("405", 0), 1) << rejected.dump();
  EXPECT_EQ(rejected.value("409", 0), 1) << rejected.dump();
  EXPECT_EQ(rejected.value("410", 0), 1) << rejected.dump();
  EXPECT_EQ(rejected.value("413", 0), 1) << rejected.dump();

  // SIGTERM: a clean exit, promptly.
  kill(serve_->pid(), SIGTERM);
  const auto e = serve_->wait(milliseconds(10'000));
  EXPECT_TRUE(e.exited);
  EXPECT_EQ(e.code, 0) << serve_->err();
}

TEST_F(serve_test, shutdown_over_control_api) {
  const auto r = send_raw(port_, request("POST", "/control/shutdown"));
  EXPECT_EQ(r.status, 200u);
  const auto e = serve_->wait(milliseconds(10'000));
  EXPECT_TRUE(e.exited) << "serve kept running after POST /control/shutdown";
  EXPECT_EQ(e.code, 0);
}

}  // namespace
}  // namespace hookbench_test
