// A producer restart mid-run (`run --fault producer-restart:AT:FOR`): the orchestrator kills the
// producer with SIGKILL, starts it again with --resume on the same port, and the event log file
// lets every consumer resume from its cursor. Nothing in the window may be lost; duplicates are
// allowed (and reported); the restarted producer generates exactly the planned window. Also
// `serve --state-dir/--resume` by hand: a resumed producer serves the first one's events and
// continues the same schedule, and the option combinations it refuses.
#include <gtest/gtest.h>

#include <filesystem>
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
