// The dispatcher's state file (dispatcher_options::state_path): subscriptions and each one's
// delivered cursor survive the dispatcher, and a new one built over the same event log sends
// every event past the cursor again, and nothing before it.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "http/server.hpp"
#include "producer/webhook_dispatcher.hpp"
#include "producer/webhook_state_file.hpp"

namespace hookbench {
namespace {

// A receiver on its own thread: records the webhook-id of every POST, answers 204 to events up
// to `ack_through`, 503 past it.
class receiver {
 public:
  receiver()
      : server_(ioc_, {"127.0.0.1", 0}, {}, [this](http::request&& req, http::reply_fn reply) {
          const std::string id = req.header("webhook-id");
          const seq_t seq = std::stoull(id.substr(id.rfind('_') + 1));  // msg_<sub>_<seq>
          {
            std::lock_guard lock(mutex_);
            ids_.push_back(id);
          }
          reply(http::response(seq <= ack_through.load() ? 204 : 503));
        }) {
    server_.start();
    port_ = server_.port();
    thread_ = std::thread([this] { ioc_.run(); });
  }
  ~receiver() {
    ioc_.stop();
    thread_.join();
  }
  std::uint16_t port() const { return port_; }
  std::vector<std::string> ids() {
    std::lock_guard lock(mutex_);
    return ids_;
  }
  std::atomic<seq_t> ack_through{0};

 private:
  boost::asio::io_context ioc_;
  http::server server_;
  std::uint16_t port_ = 0;
  std::thread thread_;
  std::mutex mutex_;
  std::vector<std::string> ids_;
};

// Runs `ioc` until `done` or 5 s.
template <class F>
bool run_until(boost::asio::io_context& ioc, F done) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!done() && std::chrono::steady_clock::now() < deadline) {
    ioc.restart();
    ioc.run_for(std::chrono::milliseconds(10));
  }
  return done();
}

TEST(WebhookRestart, StateFileRequeuesEverythingPastTheDeliveredCursor) {
  char dir_template[] = "/tmp/hookbench-restart-XXXXXX";
  ASSERT_NE(mkdtemp(dir_template), nullptr);
  const std::filesystem::path dir(dir_template);
  receiver rx;
  rx.ack_through = 3;
  event_log log(1000);
  const measurement_window window;
  const planned_sequence plan{1, 100, 100};
  dispatcher_options options;
  options.state_path = (dir / "webhooks.json").string();
  std::string secret;
  {
    boost::asio::io_context ioc;
    webhook_dispatcher d(delivery_context{ioc, log, window, plan}, options);
    const auto id = d.add_subscriber(
        parse_http_url("http://127.0.0.1:" + std::to_string(rx.port()) + "/hook/0"), {}, {},
        "owner-token");
    d.save_state();  // as POST /subscriptions does
    secret = d.secret_of(id);
    for (int i = 0; i < 5; ++i) d.publish(log.append(now_ns(), "x"));
    // 1..3 acknowledged, 4 and 5 refused (their retry is 5 s away: still pending).
    ASSERT_TRUE(run_until(ioc, [&] {
      return d.stats().delivered_total == 3 && d.stats().first_attempt_failures == 2;
    }));
    EXPECT_EQ(d.pending(), 2u);
  }  // destroyed: the state is written
  std::ifstream in(options.state_path);
  const auto state = nlohmann::json::parse(in);
  ASSERT_EQ(state.at("subscriptions").size(), 1u);
  EXPECT_EQ(state["subscriptions"][0].at("delivered_through"), 3);
  EXPECT_FALSE(std::filesystem::exists(options.state_path + ".tmp"));

  // Down for a while: two more events were logged. Then a new dispatcher over the same log.
  log.append(now_ns(), "x");
  log.append(now_ns(), "x");
  rx.ack_through = 1000;
  const auto before = rx.ids().size();
  {
    boost::asio::io_context ioc;
    webhook_dispatcher d(delivery_context{ioc, log, window, plan}, options);
    EXPECT_EQ(d.subscribers(), 1u);
    EXPECT_EQ(d.secret_of(0), secret);
    ASSERT_TRUE(run_until(ioc, [&] { return d.stats().delivered_total == 4; }));
    const auto report = d.report();
    EXPECT_EQ(report.at("restored_subscriptions"), 1);
    EXPECT_EQ(report.at("requeued_after_restart"), 4);
    d.save_state();
  }
  auto ids = rx.ids();
  std::vector<std::string> again(ids.begin() + static_cast<std::ptrdiff_t>(before), ids.end());
  std::sort(again.begin(), again.end());
  EXPECT_EQ(again, (std::vector<std::string>{"msg_0_4", "msg_0_5", "msg_0_6", "msg_0_7"}));
  std::ifstream in2(options.state_path);
  EXPECT_EQ(nlohmann::json::parse(in2)["subscriptions"][0].at("delivered_through"), 7);
  std::filesystem::remove_all(dir);
}

TEST(WebhookRestart, AMalformedStateFileIsRefusedByName) {
  char dir_template[] = "/tmp/hookbench-restart-XXXXXX";
  ASSERT_NE(mkdtemp(dir_template), nullptr);
  const std::filesystem::path dir(dir_template);
  dispatcher_options options;
  options.state_path = (dir / "webhooks.json").string();
  std::ofstream(options.state_path) << "{\"subscriptions\": 5}";
  boost::asio::io_context ioc;
  event_log log(10);
  const measurement_window window;
  try {
    webhook_dispatcher d(delivery_context{ioc, log, window, planned_sequence{}}, options);
    ADD_FAILURE() << "accepted a malformed state file";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(options.state_path), std::string::npos) << e.what();
  }
  std::filesystem::remove_all(dir);
}

// Ids are never reused: a next_id at or below an id the file holds would hand that id out again.
TEST(WebhookRestart, AStateFileWhoseNextIdIsNotAboveItsIdsIsRefused) {
  const auto file = [](int next_id) {
    return "{\"version\": 1, \"signature\": \"hmac\", \"next_id\": " + std::to_string(next_id) +
           ", \"subscriptions\": [{\"id\": 3, \"url\": \"http://127.0.0.1:9000/hook/0\", "
           "\"owner_hash\": \"ab\", \"peer\": \"127.0.0.1\", "
           "\"secret\": \"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\", \"batch_window_ns\": 0, "
           "\"batch_max\": 1, \"delivered_through\": 7}]}";
  };
  const auto hash = [](std::string_view t) { return std::string(t); };
  EXPECT_EQ(parse_webhook_state(file(4), security::signature_scheme::hmac, hash).next_id, 4u);
  for (const int bad : {0, 3}) {
    try {
      (void)parse_webhook_state(file(bad), security::signature_scheme::hmac, hash);
      ADD_FAILURE() << "accepted next_id " << bad;
    } catch (const std::runtime_error& e) {
      EXPECT_NE(std::string(e.what()).find("next_id"), std::string::npos) << e.what();
    }
  }
}

}  // namespace
}  // namespace hookbench
