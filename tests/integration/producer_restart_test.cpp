// A producer restart mid-run (`run --fault producer-restart:AT:FOR`): the orchestrator kills the
// producer with SIGKILL, starts it again with --resume on the same port, and the event log file
// lets every consumer resume from its cursor. Nothing in the window may be lost; duplicates are
// allowed (and reported); the restarted producer generates exactly the planned window. Also
// `serve --state-dir/--resume` by hand: a resumed producer serves the first one's events and
// continues the same schedule, and the option combinations it refuses.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <thread>

#include "hookbench_process.hpp"

namespace hookbench_test {
namespace {

class producer_restart : public ::testing::TestWithParam<std::string> {};

TEST_P(producer_restart, a_killed_producer_resumes_and_nothing_is_lost) {
  std::vector<std::string> args = {
      "--mode",     GetParam(), "--rate",        "200",
      "--arrivals", "constant", "--subscribers", "2",
      "--warmup",   "250ms",    "--duration",    "3s",
      "--drain",    "3s",       "--fault",       "producer-restart:1s:1s"};
  if (GetParam() == "poll") args.insert(args.end(), {"--interval", "50ms"});
  const auto r = hookbench_run(args, milliseconds(60'000));
  ASSERT_EQ(r.exit.code, 0) << r.err;
  const auto& m = r.metrics();
  const auto& producer = r.result.at("sides").at("producer");
  // The restarted producer carried on with the planned schedule: every window seq, no other.
  const auto planned = producer.at("planned_last_seq").get<std::uint64_t>() -
                       producer.at("planned_first_seq").get<std::uint64_t>() + 1;
  EXPECT_EQ(m.at("produced").get<std::uint64_t>(), planned);
  EXPECT_EQ(producer.at("first_seq"), producer.at("planned_first_seq"));
  EXPECT_EQ(producer.at("last_seq"), producer.at("planned_last_seq"));
  // Every window event reached every subscriber (at least once).
  EXPECT_EQ(m.at("lost"), 0) << r.err;
  EXPECT_EQ(m.at("delivered"), m.at("expected"));
  EXPECT_EQ(m.at("expected").get<std::uint64_t>(), 2 * planned);
  EXPECT_TRUE(m.at("drained").get<bool>());
  // The report is the second process's, and says so.
  EXPECT_EQ(producer.at("restarts"), 1);
  EXPECT_EQ(producer.at("cpu_covers"), "from the restart to the window end");
  ASSERT_TRUE(m.contains("producer_restart")) << m.dump();
  EXPECT_EQ(m.at("producer_restart").at("restarts"), 1);
  // Down for 1 s at 200/s: about 200 events were due meanwhile and were generated at once.
  const auto caught_up = producer.at("caught_up_events").get<int>();
  EXPECT_GE(caught_up, 150);
  EXPECT_LE(caught_up, 400);
  // The file gave the restarted producer what the first one generated.
  const auto& file = producer.at("durable_log");
  EXPECT_GE(file.at("loaded_events").get<int>(), 200);
  EXPECT_EQ(file.at("fsync"), "interval");
  EXPECT_EQ(file.at("write_errors"), 0);
  // The producer's CPU covers part of the window only: no per-event figure, and a warning.
  EXPECT_TRUE(m.at("cpu_us_per_event").at("producer").is_null());
  EXPECT_NE(r.err.find("the producer restarted 1 time(s)"), std::string::npos) << r.err;
  // The outage is in the latency: events due during it waited for the restart.
  EXPECT_GE(m.at("latency_us").at("max").get<double>(), 500'000);
}

INSTANTIATE_TEST_SUITE_P(modes, producer_restart,
                         ::testing::Values("poll", "long-poll", "sse", "websocket"),
                         [](const auto& param_info) {
                           std::string n = param_info.param;
                           for (auto& c : n) c = c == '-' ? '_' : c;
                           return n;
                         });

TEST(producer_restart_webhook, a_killed_producer_resumes_its_webhooks) {
  // The dispatcher restores its subscriptions and delivered cursors from its state file
  // (dispatcher_options::state_path) and queues every logged event past them again.
  const auto r = hookbench_run({"--mode", "webhook", "--rate", "200", "--arrivals", "constant",
                                "--subscribers", "2", "--warmup", "250ms", "--duration", "3s",
                                "--drain", "3s", "--fault", "producer-restart:1s:1s"},
                               milliseconds(60'000));
  ASSERT_EQ(r.exit.code, 0) << r.err;
  const auto& m = r.metrics();
  EXPECT_EQ(m.at("lost"), 0) << r.err;
  EXPECT_EQ(m.at("delivered"), m.at("expected"));
  const auto& webhooks = r.result.at("sides").at("producer").at("webhooks");
  EXPECT_EQ(webhooks.at("restored_subscriptions"), 2);
}

// Starts `serve` with the given extra options; returns its ready line (empty on failure).
nlohmann::json start_serve(process& serve) {
  const auto ready = json_line(serve, "ready", milliseconds(10'000));
  return ready ? *ready : nlohmann::json::object();
}

std::vector<std::string> serve_args(const std::string& dir, const std::string& listen) {
  return {"serve",      "--listen",    listen,        "--rate", "100",
          "--arrivals", "constant",    "--warmup",    "0s",     "--duration",
          "60s",        "--autostart", "--state-dir", dir,      "--quiet"};
}

TEST(serve_resume, a_resumed_producer_serves_the_old_events_and_keeps_the_schedule) {
  temp_dir dir;
  const std::string state = dir.file("state");
  std::uint16_t port = 0;
  {
    process first(serve_args(state, "127.0.0.1:0"));
    const auto ready = start_serve(first);
    port = ready.value("port", std::uint16_t{0});
    ASSERT_NE(port, 0) << first.err();
    std::this_thread::sleep_for(milliseconds(500));
    kill(first.pid(), SIGKILL);
    first.wait(milliseconds(5'000));
  }
  ASSERT_TRUE(std::filesystem::exists(state + "/events.log"));
  ASSERT_TRUE(std::filesystem::exists(state + "/producer.json"));
  const auto saved = read_json_file(state + "/producer.json");
  EXPECT_GT(saved.value("t0_ns", 0LL), 0);
  // Down for half a second, then back on the same port.
  std::this_thread::sleep_for(milliseconds(500));
  auto args = serve_args(state, "127.0.0.1:" + std::to_string(port));
  args.push_back("--resume");
  process second(args);
  ASSERT_FALSE(start_serve(second).empty()) << second.err();
  std::this_thread::sleep_for(milliseconds(100));
  const auto reply = raw_exchange("127.0.0.1", port,
                                  "GET /events?after=0&limit=1000 HTTP/1.1\r\nHost: t\r\n"
                                  "Connection: close\r\n" +
                                      auth_line("/events") + "\r\n");
  ASSERT_EQ(reply.status, 200u) << reply.raw.substr(0, 300);
  const auto body = nlohmann::json::parse(reply.body);
  const auto& events = body.at("events");
  // 1.1 s at 100/s since t0 (constant: event k at (k-1)/100 s): about 110, numbered without a
  // gap from 1, each at its scheduled time on the first process's t0.
  ASSERT_GE(events.size(), 100u);
  const auto t0 = saved.at("t0_ns").get<long long>();
  for (std::size_t i = 0; i < events.size(); ++i) {
    EXPECT_EQ(events[i].at("id").get<std::uint64_t>(), i + 1);
    EXPECT_EQ(events[i].at("t").get<long long>(), t0 + static_cast<long long>(i) * 10'000'000);
  }
  const auto window = nlohmann::json::parse(
      raw_exchange("127.0.0.1", port,
                   "GET /control/window HTTP/1.1\r\nHost: t\r\nConnection: close\r\n" +
                       auth_line("/control/window") + "\r\n")
          .body);
  EXPECT_EQ(window.at("t0_ns").get<long long>(), t0);
  EXPECT_EQ(read_json_file(state + "/producer.json").value("restarts", 0), 1);
}

// One request with `token` to a producer on loopback.
http_reply with_token(std::uint16_t port, const std::string& method, const std::string& target,
                      const std::string& token, const std::string& body = {}) {
  return raw_exchange("127.0.0.1", port,
                      method + " " + target + " HTTP/1.1\r\nHost: t\r\nConnection: close\r\n" +
                          "Authorization: Bearer " + token +
                          "\r\nContent-Type: application/json\r\nContent-Length: " +
                          std::to_string(body.size()) + "\r\n\r\n" + body);
}

unsigned mode_of(const std::string& path) {
  return static_cast<unsigned>(std::filesystem::status(path).permissions()) & 0777u;
}

TEST(serve_resume, state_files_are_private_keep_no_token_and_still_know_the_owner) {
  temp_dir dir;
  const std::string state = dir.file("state");
  const std::string other = "hookbench-test-other-token";
  auto args = serve_args(state, "127.0.0.1:0");
  args.insert(args.end(), {"--token", kApiToken, "--token", other});
  std::uint16_t port = 0;
  {
    process first(args);
    port = start_serve(first).value("port", std::uint16_t{0});
    ASSERT_NE(port, 0) << first.err();
    const auto sub =
        with_token(port, "POST", "/subscriptions", kApiToken, R"({"url":"http://127.0.0.1:9/h"})");
    ASSERT_EQ(sub.status, 201u) << sub.raw;
    std::this_thread::sleep_for(milliseconds(300));
    kill(first.pid(), SIGKILL);
    first.wait(milliseconds(5'000));
  }
  // 0700 for the directory, 0600 for what is in it; the API token is kept only as a keyed hash.
  EXPECT_EQ(mode_of(state), 0700u);
  for (const char* f : {"webhooks.json", "owner.key", "producer.json", "events.log"}) {
    ASSERT_TRUE(std::filesystem::exists(state + "/" + f)) << f;
    EXPECT_EQ(mode_of(state + "/" + f), 0600u) << f;
  }
  std::ifstream in(state + "/webhooks.json");
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(text.find(kApiToken), std::string::npos) << text;
  const auto saved = nlohmann::json::parse(text);
  EXPECT_EQ(saved.at("subscriptions")[0].at("owner_hash").get<std::string>().size(), 64u);
  // A rewrite cut short by the kill: the restart removes it and says so.
  std::ofstream(state + "/webhooks.json.tmp") << "{half";
  args[2] = "127.0.0.1:" + std::to_string(port);
  args.erase(std::find(args.begin(), args.end(), "--quiet"));
  args.push_back("--resume");
  process second(args);
  ASSERT_FALSE(start_serve(second).empty()) << second.err();
  EXPECT_NE(second.err().find("removed " + state + "/webhooks.json.tmp"), std::string::npos)
      << second.err();
  EXPECT_FALSE(std::filesystem::exists(state + "/webhooks.json.tmp"));
  // The owner is recognised from its token alone; another token sees and deletes nothing.
  const auto mine = with_token(port, "GET", "/subscriptions", kApiToken);
  EXPECT_EQ(nlohmann::json::parse(mine.body).at("subscriptions").size(), 1u) << mine.raw;
  const auto theirs = with_token(port, "GET", "/subscriptions", other);
  EXPECT_EQ(nlohmann::json::parse(theirs.body).at("subscriptions").size(), 0u) << theirs.raw;
  EXPECT_EQ(with_token(port, "DELETE", "/subscriptions/0", other).status, 404u);
  EXPECT_EQ(with_token(port, "DELETE", "/subscriptions/0", kApiToken).status, 204u);
}

// A subscription whose target now resolves to loopback while its registering peer was not on
// loopback (what DNS rebinding gives): the dispatcher checks the address it connects to, sends
// nothing, and names the refusal in the dead letters. The state file stands in for the remote
// registration (tests reach only loopback).
TEST(serve_resume, a_delivery_to_a_refused_address_is_a_named_dead_letter) {
  temp_dir dir;
  const std::string state = dir.file("state");
  auto args = serve_args(state, "127.0.0.1:0");
  std::uint16_t port = 0;
  {
    process first(args);
    port = start_serve(first).value("port", std::uint16_t{0});
    ASSERT_NE(port, 0) << first.err();
    ASSERT_EQ(
        with_token(port, "POST", "/subscriptions", kApiToken, R"({"url":"http://127.0.0.1:9/h"})")
            .status,
        201u);
    std::this_thread::sleep_for(milliseconds(300));
    kill(first.pid(), SIGKILL);
    first.wait(milliseconds(5'000));
  }
  const int listener = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  ASSERT_GE(listener, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(listen(listener, 64), 0);
  socklen_t len = sizeof addr;
  getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len);
  auto saved = read_json_file(state + "/webhooks.json");
  auto& sub = saved.at("subscriptions")[0];
  EXPECT_EQ(sub.at("peer"), "127.0.0.1");
  sub["peer"] = "198.51.100.1";
  sub["url"] = "http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port)) + "/h";
  std::ofstream(state + "/webhooks.json", std::ios::trunc) << saved.dump();
  args[2] = "127.0.0.1:" + std::to_string(port);
  args.push_back("--resume");
  process second(args);
  ASSERT_FALSE(start_serve(second).empty()) << second.err();
  nlohmann::json by_reason;
  const auto deadline = steady::now() + milliseconds(10'000);
  do {
    std::this_thread::sleep_for(milliseconds(200));
    const auto rep = with_token(port, "GET", "/control/report", kControlToken);
    by_reason = nlohmann::json::parse(rep.body, nullptr,
                                      false)["webhooks"]["retry"]["dead_letters_by_reason"];
  } while (by_reason.value("refused-loopback", 0) < 10 && steady::now() < deadline);
  EXPECT_GE(by_reason.value("refused-loopback", 0), 10) << by_reason.dump();
  EXPECT_EQ(by_reason.value("exhausted", 0), 0) << by_reason.dump();
  // Refused before connecting: the listener never saw a connection.
  EXPECT_LT(accept(listener, nullptr, nullptr), 0);
  close(listener);
}

TEST(serve_resume, refusals_are_one_line) {
  temp_dir dir;
  // --resume without a state dir; --fsync without one; a bad policy; nothing to resume.
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"serve", "--resume"},
        std::vector<std::string>{"serve", "--fsync", "always"},
        std::vector<std::string>{"serve", "--state-dir", dir.file("s"), "--fsync", "sometimes"},
        std::vector<std::string>{"serve", "--state-dir", dir.file("s"), "--fsync-interval",
                                 "0ms"}}) {
    const auto r = run_hookbench(args, milliseconds(10'000));
    EXPECT_EQ(r.exit.code, 2) << args[1] << ": " << r.err;
    EXPECT_EQ(lines_of(r.err).size(), 1u) << r.err;
  }
  const auto nothing = run_hookbench(
      {"serve", "--listen", "127.0.0.1:0", "--state-dir", dir.file("empty"), "--resume"},
      milliseconds(10'000));
  EXPECT_EQ(nothing.exit.code, 1);
  EXPECT_NE(nothing.err.find("nothing to resume"), std::string::npos) << nothing.err;
  EXPECT_EQ(lines_of(nothing.err).size(), 1u) << nothing.err;
}

TEST(serve_resume, a_used_state_dir_needs_resume_and_the_same_schedule) {
  temp_dir dir;
  const std::string state = dir.file("state");
  {
    process first(serve_args(state, "127.0.0.1:0"));
    ASSERT_FALSE(start_serve(first).empty()) << first.err();
    std::this_thread::sleep_for(milliseconds(200));
    kill(first.pid(), SIGKILL);
    first.wait(milliseconds(5'000));
  }
  const auto again = run_hookbench(serve_args(state, "127.0.0.1:0"), milliseconds(10'000));
  EXPECT_EQ(again.exit.code, 1);
  EXPECT_NE(again.err.find("--resume"), std::string::npos) << again.err;
  auto other = serve_args(state, "127.0.0.1:0");
  other[4] = "150";  // --rate
  other.push_back("--resume");
  const auto mismatch = run_hookbench(other, milliseconds(10'000));
  EXPECT_EQ(mismatch.exit.code, 1);
  EXPECT_NE(mismatch.err.find("rate"), std::string::npos) << mismatch.err;
}

TEST(producer_gone, a_client_gives_up_after_its_grace_with_a_clear_line) {
  // The producer dies mid-window and never comes back: the consumer keeps polling (failures
  // counted), asks for the window's end, retries that for --producer-grace, then fails.
  process serve({"serve", "--listen", "127.0.0.1:0", "--rate", "100", "--warmup", "0s",
                 "--duration", "1s", "--tail", "0s", "--quiet"});
  const auto ready = start_serve(serve);
  const auto port = ready.value("port", std::uint16_t{0});
  ASSERT_NE(port, 0) << serve.err();
  process client({"client", "--producer", "http://127.0.0.1:" + std::to_string(port), "--mode",
                  "poll", "--interval", "50ms", "--producer-grace", "1s"});
  ASSERT_TRUE(json_line(client, "ready", milliseconds(10'000))) << client.err();
  ASSERT_EQ(raw_http_status("127.0.0.1", port, "POST", "/control/start"), 200u);
  std::this_thread::sleep_for(milliseconds(300));
  kill(serve.pid(), SIGKILL);
  // Window end (1 s) + grace (1 s) + a margin; never the 60 s bound.
  const auto exit = client.wait(milliseconds(20'000));
  ASSERT_TRUE(exit.exited) << "the client hung on a producer that is gone";
  EXPECT_EQ(exit.code, 1) << client.err();
  EXPECT_LT(exit.seconds, 10.0);
  EXPECT_NE(client.err().find("failed: Connection refused (for 1s)"), std::string::npos)
      << client.err();
}

}  // namespace
}  // namespace hookbench_test
