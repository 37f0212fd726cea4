// What one token, and the whole producer, may hold open on a real `hookbench serve`: parked
// long-polls, SSE and WebSocket streams, queued webhook deliveries and subscriptions, each under a
// per-token and a per-process cap. Each test sets small caps, goes past each one, and checks the
// refusal (status and reason naming the option), its exact count in the report, and that what the
// holder already had keeps working. Deleted subscriptions are freed: descriptors stay flat over
// 2 000 subscribe-receive-delete rounds, and the state file lists only the live ones.
#include <gtest/gtest.h>

#include <filesystem>
#include <thread>

#include "hookbench_process.hpp"
#include "script_receiver.hpp"

namespace hookbench_test {
namespace {

constexpr const char* kOther = "hookbench-test-other-token";

// An open connection whose request the producer holds (a parked poll, a stream).
class held_request {
 public:
  held_request(std::uint16_t port, const std::string& raw) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    timeval tv{0, 100'000};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        send(fd_, raw.data(), raw.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(raw.size())) {
      close(fd_);
      fd_ = -1;
    }
  }
  ~held_request() {
    if (fd_ >= 0) close(fd_);
  }
  held_request(const held_request&) = delete;
  held_request& operator=(const held_request&) = delete;

  // Reads until `needle` has arrived (true) or `bound` has passed.
  bool read_until(const std::string& needle, milliseconds bound = milliseconds(10'000)) {
    const auto deadline = steady::now() + bound;
    char buf[4096];
    while (got_.find(needle) == std::string::npos && steady::now() < deadline && fd_ >= 0) {
      const ssize_t n = recv(fd_, buf, sizeof buf, 0);
      if (n == 0) break;
      if (n > 0) got_.append(buf, static_cast<std::size_t>(n));
    }
    return got_.find(needle) != std::string::npos;
  }
  const std::string& got() const { return got_; }

 private:
  int fd_ = -1;
  std::string got_;
};

std::string request(const std::string& target, const std::string& token,
                    const std::string& extra = {}) {
  return "GET " + target + " HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer " + token + "\r\n" +
         extra + "\r\n";
}

const std::string kUpgrade =
    "Upgrade: websocket\r\nConnection: Upgrade\r\n"
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n";

struct reply {
  unsigned status = 0;
  std::string error;
  nlohmann::json body;
};

reply exchange(std::uint16_t port, const std::string& method, const std::string& target,
               const std::string& token, const std::string& body = {},
               const std::string& extra = {}) {
  std::string raw = method + " " + target +
                    " HTTP/1.1\r\nHost: t\r\nConnection: close\r\nAuthorization: Bearer " + token +
                    "\r\n" + extra;
  if (method == "POST") {
    raw +=
        "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
  }
  const auto r = raw_exchange("127.0.0.1", port, raw + "\r\n" + body);
  auto j = nlohmann::json::parse(r.body, nullptr, false);
  return {r.status, j.is_object() ? j.value("error", "") : std::string(), j};
}

std::size_t open_descriptors(pid_t pid) {
  std::error_code ec;
  std::size_t n = 0;
  for (auto it = std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd", ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    ++n;
  }
  return n;
}

class holding_caps : public ::testing::Test {
 protected:
  void start(std::vector<std::string> extra) {
    std::vector<std::string> args{"serve",   "--listen", "127.0.0.1:0", "--token",
                                  kApiToken, "--token",  kOther,        "--quiet"};
    args.insert(args.end(), extra.begin(), extra.end());
    serve_ = std::make_unique<process>(args);
    const auto ready = json_line(*serve_, "ready", milliseconds(10'000));
    ASSERT_TRUE(ready) << serve_->err();
    port_ = ready->value("port", std::uint16_t{0});
  }
  nlohmann::json report() { return exchange(port_, "GET", "/control/report", kControlToken).body; }
  // Polls the report until `done` holds (20 s bound); returns the last one.
  template <class Done>
  nlohmann::json wait_report(Done done) {
    const auto deadline = steady::now() + milliseconds(20'000);
    nlohmann::json j;
    do {
      j = report();
      if (j.is_object() && done(j)) return j;
      std::this_thread::sleep_for(milliseconds(20));
    } while (steady::now() < deadline);
    return j;
  }
  void start_generation() {
    ASSERT_EQ(exchange(port_, "POST", "/control/start", kControlToken).status, 200u);
  }

  std::unique_ptr<process> serve_;
  std::uint16_t port_ = 0;
};

TEST_F(holding_caps, parked_long_polls_are_capped_per_token_and_per_process) {
  start({"--rate", "20", "--warmup", "0s", "--max-long-polls", "3", "--max-long-polls-total", "5"});
  // Nothing is generated yet: every long-poll after 0 parks.
  const std::string poll = "/events?after=0&wait=60000";
  std::vector<std::unique_ptr<held_request>> held;
  const auto park = [&](const char* token, std::size_t expect_parked) {
    held.push_back(std::make_unique<held_request>(port_, request(poll, token)));
    const auto j = wait_report([&](const auto& r) {
      return r.at("polls").at("parked_now").template get<std::size_t>() == expect_parked;
    });
    ASSERT_EQ(j.at("polls").at("parked_now"), expect_parked) << j.dump();
  };
  for (std::size_t i = 1; i <= 3; ++i) park(kApiToken, i);
  const auto fourth = exchange(port_, "GET", poll, kApiToken);
  EXPECT_EQ(fourth.status, 429u);
  EXPECT_NE(fourth.error.find("this token already holds 3 parked long-polls"), std::string::npos)
      << fourth.error;
  EXPECT_NE(fourth.error.find("serve --max-long-polls)"), std::string::npos) << fourth.error;
  // The other token has a cap of its own, but the process's is shared.
  park(kOther, 4);
  park(kOther, 5);
  const auto sixth = exchange(port_, "GET", poll, kOther);
  EXPECT_EQ(sixth.status, 429u);
  EXPECT_NE(sixth.error.find("--max-long-polls-total"), std::string::npos) << sixth.error;
  // A poll that does not park is not held, so it is not capped.
  EXPECT_EQ(exchange(port_, "GET", "/events?after=0", kApiToken).status, 200u);

  auto j = report();
  EXPECT_EQ(j.at("refusals").at("long-polls-per-token"), 1) << j.at("refusals").dump();
  EXPECT_EQ(j.at("refusals").at("long-polls-per-process"), 1) << j.at("refusals").dump();
  EXPECT_EQ(j.at("rejected").at("429"), 2) << j.at("rejected").dump();
  EXPECT_EQ(j.at("held").at("long_polls"), 5);
  // Every request held before the refusals is answered with the events once they come.
  start_generation();
  for (auto& h : held) {
    EXPECT_TRUE(h->read_until("\"events\":[{")) << h->got();
    EXPECT_EQ(h->got().rfind("HTTP/1.1 200", 0), 0u) << h->got();
  }
  // Answered: their places are free again.
  j = wait_report([](const auto& r) { return r.at("held").at("long_polls") == 0; });
  EXPECT_EQ(j.at("held").at("long_polls"), 0) << j.dump();
}

TEST_F(holding_caps, sse_and_websocket_streams_are_capped_per_token_and_per_process) {
  start({"--rate", "20", "--warmup", "0s", "--max-streams", "2", "--max-streams-total", "3"});
  std::vector<std::unique_ptr<held_request>> held;
  held.push_back(std::make_unique<held_request>(port_, request("/stream?after=0", kApiToken)));
  held.push_back(
      std::make_unique<held_request>(port_, request("/ws?after=0", kApiToken, kUpgrade)));
  ASSERT_TRUE(held[0]->read_until("retry:")) << held[0]->got();
  ASSERT_TRUE(held[1]->read_until("101 Switching Protocols")) << held[1]->got();
  // SSE and WebSocket share the cap: the token's third stream of either kind is refused.
  const auto third_sse = exchange(port_, "GET", "/stream?after=0", kApiToken);
  EXPECT_EQ(third_sse.status, 429u);
  EXPECT_NE(third_sse.error.find("this token already holds 2 open event streams"),
            std::string::npos)
      << third_sse.error;
  EXPECT_NE(third_sse.error.find("serve --max-streams)"), std::string::npos) << third_sse.error;
  held_request third_ws(port_, request("/ws?after=0", kApiToken, kUpgrade));
  EXPECT_TRUE(third_ws.read_until("\r\n\r\n"));
  EXPECT_EQ(third_ws.got().rfind("HTTP/1.1 429", 0), 0u) << third_ws.got();
  // The other token's first fills the process; its second meets the process's cap.
  held.push_back(std::make_unique<held_request>(port_, request("/stream?after=0", kOther)));
  ASSERT_TRUE(held[2]->read_until("retry:")) << held[2]->got();
  const auto over = exchange(port_, "GET", "/stream?after=0", kOther);
  EXPECT_EQ(over.status, 429u);
  EXPECT_NE(over.error.find("serve --max-streams-total)"), std::string::npos) << over.error;

  auto j = report();
  EXPECT_EQ(j.at("refusals").at("streams-per-token"), 2) << j.at("refusals").dump();
  EXPECT_EQ(j.at("refusals").at("streams-per-process"), 1) << j.at("refusals").dump();
  EXPECT_EQ(j.at("rejected").at("429"), 3) << j.at("rejected").dump();
  EXPECT_EQ(j.at("held").at("streams"), 3);
  // The streams held before the refusals carry the events.
  start_generation();
  EXPECT_TRUE(held[0]->read_until("id: 2\n")) << held[0]->got();
  EXPECT_TRUE(held[1]->read_until("{\"id\":2,")) << held[1]->got();
  EXPECT_TRUE(held[2]->read_until("id: 2\n")) << held[2]->got();
  // A closed stream gives its place back: the token may open another.
  held[0].reset();
  j = wait_report([](const auto& r) { return r.at("held").at("streams") == 2; });
  ASSERT_EQ(j.at("held").at("streams"), 2) << j.dump();
  held_request again(port_, request("/stream?after=0", kApiToken));
  EXPECT_TRUE(again.read_until("retry:")) << again.got();
}

TEST_F(holding_caps, subscriptions_are_capped_per_token_and_per_process) {
  start({"--rate", "20", "--max-subscriptions", "2", "--max-subscriptions-total", "3"});
  const std::string body = "{\"url\":\"http://127.0.0.1:9/hook\"}";
  const auto first = exchange(port_, "POST", "/subscriptions", kApiToken, body);
  ASSERT_EQ(first.status, 201u);
  ASSERT_EQ(exchange(port_, "POST", "/subscriptions", kApiToken, body).status, 201u);
  // A token at its own cap can make room: 403.
  const auto third = exchange(port_, "POST", "/subscriptions", kApiToken, body);
  EXPECT_EQ(third.status, 403u);
  EXPECT_NE(third.error.find("this token already holds 2 subscriptions"), std::string::npos)
      << third.error;
  EXPECT_NE(third.error.find("serve --max-subscriptions)"), std::string::npos) << third.error;
  ASSERT_EQ(exchange(port_, "POST", "/subscriptions", kOther, body).status, 201u);
  // The process is full for everyone: 429.
  const auto full = exchange(port_, "POST", "/subscriptions", kOther, body);
  EXPECT_EQ(full.status, 429u);
  EXPECT_NE(full.error.find("serve --max-subscriptions-total)"), std::string::npos) << full.error;

  auto j = report();
  EXPECT_EQ(j.at("refusals").at("subscriptions-per-token"), 1) << j.at("refusals").dump();
  EXPECT_EQ(j.at("refusals").at("subscriptions-per-process"), 1) << j.at("refusals").dump();
  EXPECT_EQ(j.at("held").at("subscriptions"), 3);
  // What the token held is still its own; a deletion makes room at once.
  const auto mine = exchange(port_, "GET", "/subscriptions", kApiToken);
  EXPECT_EQ(mine.body.at("subscriptions").size(), 2u) << mine.body.dump();
  ASSERT_EQ(
      exchange(port_, "DELETE", "/subscriptions/" + first.body.at("id").dump(), kApiToken).status,
      204u);
  EXPECT_EQ(exchange(port_, "POST", "/subscriptions", kOther, body).status, 201u);
}

TEST_F(holding_caps, queued_webhook_deliveries_are_capped_per_token_and_per_process) {
  // A receiver that takes connections and never answers: every delivery stays queued or in
  // flight (the timeout is far off), so what is held is exactly what was taken.
  const int sink = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(sink, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(listen(sink, 64), 0);
  socklen_t len = sizeof addr;
  getsockname(sink, reinterpret_cast<sockaddr*>(&addr), &len);
  const std::string url = "http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port)) + "/hook";
  start({"--rate", "40", "--arrivals", "constant", "--warmup", "0s", "--duration", "500ms",
         "--tail", "0s", "--webhook-timeout", "60s", "--max-queued-webhooks", "3",
         "--max-queued-webhooks-total", "5"});
  const std::string body = "{\"url\":\"" + url + "\"}";
  ASSERT_EQ(exchange(port_, "POST", "/subscriptions", kApiToken, body).status, 201u);
  ASSERT_EQ(exchange(port_, "POST", "/subscriptions", kOther, body).status, 201u);
  start_generation();
  auto j = wait_report([](const auto& r) { return r.at("finished").template get<bool>(); });
  ASSERT_TRUE(j.at("finished").get<bool>()) << j.dump();
  const auto generated = j.at("generated_total").get<std::int64_t>();
  ASSERT_GE(generated, 4) << j.dump();
  // Each event goes to the first subscription, then the second. Events 1 and 2: both take one
  // (4 held); event 3: the first takes its third (5 held), the second meets the process's cap;
  // from event 4 on the first meets its token's cap, the second the process's.
  EXPECT_EQ(j.at("refusals").at("webhook-queue-per-token"), generated - 3) << j.dump();
  EXPECT_EQ(j.at("refusals").at("webhook-queue-per-process"), generated - 2) << j.dump();
  EXPECT_EQ(j.at("held").at("webhook_deliveries"), 5);
  const auto& webhooks = j.at("webhooks");
  EXPECT_EQ(webhooks.at("retry").at("dead_letters_by_reason").at("queue-full"), 2 * generated - 5);
  // The five taken are still on their way (queued or in flight), not dropped.
  EXPECT_EQ(webhooks.at("pending"), 5);
  // No 429 was sent for them: these refusals answer no request.
  EXPECT_FALSE(j.at("rejected").contains("429")) << j.at("rejected").dump();
  close(sink);
}

TEST_F(holding_caps, deleted_subscriptions_are_freed_with_their_connections) {
  temp_dir dir;
  const std::string state = dir.file("state");
  script_receiver receiver([](const received_post&) { return scripted_answer(204); });
  start({"--rate", "500", "--arrivals", "constant", "--warmup", "0s", "--duration", "600s",
         "--state-dir", state, "--signature", "none"});
  const auto subscribe = [&](const std::string& path) {
    return exchange(port_, "POST", "/subscriptions", kApiToken,
                    "{\"url\":\"" + receiver.url(path) + "\"}");
  };
  // Batched, so that it adds few POSTs of its own to the receiver's record.
  const auto kept = exchange(
      port_, "POST", "/subscriptions", kApiToken,
      "{\"url\":\"" + receiver.url("/kept") + "\",\"batch_window_ms\":60000,\"batch_max\":10000}");
  ASSERT_EQ(kept.status, 201u);
  start_generation();
  const auto received = [&](const std::string& path, std::size_t from) {
    const auto deadline = steady::now() + milliseconds(10'000);
    while (steady::now() < deadline) {
      for (const auto& p : receiver.posts_since(from)) {
        if (p.path == path) return true;
      }
      std::this_thread::sleep_for(milliseconds(1));
    }
    return false;
  };
  std::size_t seen = 0;
  std::size_t before = 0;
  constexpr int kRounds = 2000, kWarmup = 100;
  for (int i = 0; i < kRounds; ++i) {
    // Warmed up first: the allocator's and the kept subscription's own descriptors settle.
    if (i == kWarmup) before = open_descriptors(serve_->pid());
    const std::string path = "/hook/" + std::to_string(i);
    const auto sub = subscribe(path);
    ASSERT_EQ(sub.status, 201u) << sub.error;
    ASSERT_TRUE(received(path, seen)) << "no delivery to " << path << "\n" << serve_->err();
    seen = receiver.post_count();
    ASSERT_EQ(
        exchange(port_, "DELETE", "/subscriptions/" + sub.body.at("id").dump(), kApiToken).status,
        204u);
  }
  // Closing the last ones' connections and freeing them is posted: let it run.
  std::this_thread::sleep_for(milliseconds(200));
  const std::size_t after = open_descriptors(serve_->pid());
  std::cout << "[ figure ] producer descriptors over " << kRounds - kWarmup
            << " subscribe-receive-delete rounds: " << before << " -> " << after << "\n";
  EXPECT_LT(after, before + 20) << "descriptors grew from " << before << " to " << after;

  const auto j = report();
  EXPECT_EQ(j.at("webhooks").at("subscribers"), 1);
  EXPECT_EQ(j.at("webhooks").at("subscriptions_deleted"), kRounds);
  EXPECT_EQ(j.at("held").at("subscriptions"), 1);
  // The state file lists the live subscription only.
  const auto file = read_json_file(state + "/webhooks.json");
  ASSERT_TRUE(file.is_object()) << state;
  ASSERT_EQ(file.at("subscriptions").size(), 1u) << file.dump().substr(0, 400);
  EXPECT_EQ(file.at("subscriptions")[0].at("id"), kept.body.at("id"));
  EXPECT_EQ(file.at("next_id"), kRounds + 1);
}

TEST_F(holding_caps, idle_webhook_connections_are_closed) {
  script_receiver receiver([](const received_post&) { return scripted_answer(204); });
  // One event at once, the next 100 s later: the connection that carried it then sits idle.
  start({"--rate", "0.01", "--arrivals", "constant", "--warmup", "0s", "--duration", "60s",
         "--webhook-idle-timeout", "300ms"});
  const auto base = open_descriptors(serve_->pid());
  ASSERT_EQ(exchange(port_, "POST", "/subscriptions", kApiToken,
                     "{\"url\":\"" + receiver.url("/hook") + "\"}")
                .status,
            201u);
  start_generation();
  auto j = wait_report([](const auto& r) {
    return r.at("webhooks").at("delivered_total").template get<int>() >= 1;
  });
  ASSERT_EQ(j.at("webhooks").at("delivered_total"), 1) << j.dump();
  // Once the idle timeout has passed (swept every half of it), the pool's socket is closed.
  const auto deadline = steady::now() + milliseconds(10'000);
  while (open_descriptors(serve_->pid()) > base && steady::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(20));
  }
  EXPECT_LE(open_descriptors(serve_->pid()), base);
  EXPECT_EQ(j.at("webhooks").at("connections_opened"), 1);
}

}  // namespace
}  // namespace hookbench_test
