// The producer and the consumer as two hosts whose clocks differ: `serve --test-clock-shift`
// moves the producer's clock by a known amount, and the consumer must recover it within its
// error bound, follow the window on its own clock, and report sane latencies. First on loopback,
// then in two network namespaces joined by a veth pair (198.18.0.0/15, set aside for benchmarks).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sched.h>
#include <unistd.h>

#include <cmath>
#include <thread>

#include "hookbench_process.hpp"

namespace hookbench_test {
namespace {

constexpr double kShiftPlusUs = 30e6, kShiftMinusUs = -3e6;

// Runs `fn` on a thread that has joined network namespace `netns` (empty: this one), so that a
// socket it opens lives there; the test's own threads keep theirs.
template <class Fn>
std::string in_netns(const std::string& netns, Fn fn) {
  std::string error;
  std::thread t([&] {
    if (!netns.empty()) {
      const int fd = open(("/var/run/netns/" + netns).c_str(), O_RDONLY | O_CLOEXEC);
      if (fd < 0 || setns(fd, CLONE_NEWNET) != 0) {
        error = "cannot enter network namespace " + netns;
        if (fd >= 0) close(fd);
        return;
      }
      close(fd);
    }
    fn();
  });
  t.join();
  return error;
}

// One HTTP/1.1 request without a body, from network namespace `netns` (empty: this one).
unsigned http_status(const std::string& host, std::uint16_t port, const std::string& method,
                     const std::string& path, const std::string& netns = "") {
  unsigned status = 0;
  const auto error = in_netns(netns, [&] { status = raw_http_status(host, port, method, path); });
  EXPECT_EQ(error, "");
  return status;
}

// Where each side runs: its command prefix (e.g. `ip netns exec NS`), addresses, namespace.
struct side {
  std::vector<std::string> prefix;
  std::string host;   // producer: where it listens; consumer: where its receiver listens
  std::string netns;  // for the test's own requests to the producer
};

struct pair_config {
  side producer{{}, "127.0.0.1", ""}, consumer{{}, "127.0.0.1", ""};
  std::string mode = "webhook";
  double shift_us = 0;
};

std::vector<std::string> command(const side& s, const std::vector<std::string>& args) {
  std::vector<std::string> argv = s.prefix;
  argv.push_back(HOOKBENCH_BIN);
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

// Runs a producer (clock shifted) and a consumer by hand, as on two hosts, and returns the
// consumer's report (null on failure, with the reason recorded as a test failure).
nlohmann::json run_pair(const pair_config& cfg) {
  const long long shift_ms = std::llround(cfg.shift_us / 1e3);
  process producer(
      raw_command,
      command(cfg.producer, {"serve", "--listen", cfg.producer.host + ":0", "--rate", "100",
                             "--arrivals", "constant", "--warmup", "300ms", "--duration", "1s",
                             "--quiet", "--test-clock-shift", std::to_string(shift_ms) + "ms"}));
  const auto ready = json_line(producer, "ready", milliseconds(10'000));
  if (!ready) {
    ADD_FAILURE() << "producer not ready; stderr:\n" << producer.err();
    return nullptr;
  }
  const auto port = ready->at("port").get<std::uint16_t>();
  std::vector<std::string> client_args = {
      "client",
      "--producer",
      "http://" + cfg.producer.host + ":" + std::to_string(port),
      "--mode",
      cfg.mode,
      "--subscribers",
      "2",
      "--drain",
      "3s",
      "--start-timeout",
      "10s"};
  if (cfg.mode == "poll") {
    client_args.insert(client_args.end(), {"--interval", "50ms"});
  } else {
    client_args.insert(client_args.end(), {"--listen", cfg.consumer.host + ":0"});
  }
  process client(raw_command, command(cfg.consumer, client_args));
  if (!json_line(client, "ready", milliseconds(10'000))) {
    ADD_FAILURE() << "consumer not ready; stderr:\n" << client.err();
    return nullptr;
  }
  EXPECT_EQ(http_status(cfg.producer.host, port, "POST", "/control/start", cfg.producer.netns),
            200u);
  const auto started = steady::now();
  const auto report = json_line(client, "report", milliseconds(20'000));
  // Warm-up 0.3 s + window 1 s + a short drain. A consumer that armed its timers at the
  // producer's times unconverted would sit out the 30 s shift first (and miss the 20 s bound on
  // its report): a bound of 15 s catches it with room for a loaded machine.
  EXPECT_LT(std::chrono::duration<double>(steady::now() - started).count(), 15.0);
  const auto exit = client.wait(milliseconds(5'000));
  EXPECT_TRUE(exit.exited && exit.code == 0) << "consumer stderr:\n" << client.err();
  EXPECT_EQ(http_status(cfg.producer.host, port, "POST", "/control/shutdown", cfg.producer.netns),
            200u);
  const auto pexit = producer.wait(milliseconds(5'000));
  EXPECT_TRUE(pexit.exited && pexit.code == 0) << "producer stderr:\n" << producer.err();
  if (!report) {
    ADD_FAILURE() << "no consumer report; stderr:\n" << client.err();
    return nullptr;
  }
  return report->at("report");
}

// Every window event delivered to both subscribers once, the producer's clock shift recovered
// within the bound, the bound under 1 ms, and latencies on one clock (positive, not seconds).
void expect_clean_two_clock_run(const nlohmann::json& r, double shift_us) {
  ASSERT_TRUE(r.is_object());
  SCOPED_TRACE("clock " + r.value("clock", nlohmann::json()).dump() + ", latency p50 " +
               r.at("latency_us").value("p50", nlohmann::json()).dump());
  // 100 events/s for 1 s, constant arrivals: 100 or 101 window events depending on the phase.
  const auto expected = r.at("expected").get<std::uint64_t>();
  EXPECT_GE(expected, 2u * 99);
  EXPECT_LE(expected, 2u * 101);
  EXPECT_EQ(r.at("delivered").get<std::uint64_t>(), expected);
  EXPECT_EQ(r.at("lost").get<std::uint64_t>(), 0u);
  EXPECT_EQ(r.at("duplicates").get<std::uint64_t>(), 0u);
  EXPECT_TRUE(r.at("drained").get<bool>());
  // The window is followed on the consumer's clock: the drain starts at its end (on a wrong
  // clock it would read seconds, or negative), and requests are counted inside it.
  EXPECT_GE(r.at("drain_s").get<double>(), 0.0);
  EXPECT_LT(r.at("drain_s").get<double>(), 1.0);
  EXPECT_TRUE(r.at("cpu_measured").get<bool>());
  const auto& traffic = r.at("traffic");
  if (r.at("config").at("mode") == "poll") {
    // Two subscribers polling every 50 ms through a 1 s window: 20 polls each, give or take
    // one at each edge, sent or (after a stall longer than T) skipped and counted as missed.
    const int polls = traffic.at("polls").get<int>() + traffic.at("missed_polls").get<int>();
    EXPECT_GE(polls, 2 * 20 - 4);
    EXPECT_LE(polls, 2 * 20 + 4);
  } else {
    // One POST per delivery (the receiver's exchanges in the window, by arrival time); the few
    // at the window's edges can fall either side.
    EXPECT_NEAR(r.at("bytes").at("exchanges").get<double>(), static_cast<double>(expected),
                0.02 * static_cast<double>(expected) + 4);
  }

  const auto& c = r.at("clock");
  const double offset = c.at("offset_us").get<double>();
  const double bound = c.at("error_bound_us").get<double>();
  EXPECT_LE(std::abs(offset - shift_us), bound);
  EXPECT_GT(bound, 0.0);
  EXPECT_LT(bound, 1000.0);
  EXPECT_EQ(c.at("before").at("samples"), 21);
  EXPECT_EQ(c.at("before").at("offset_us").get<double>(), offset);
  EXPECT_NEAR(bound, c.at("before").at("min_rtt_us").get<double>() / 2, 0.001);
  // After the drain: measured again, the same shift within that estimate's own bound.
  ASSERT_TRUE(c.at("after").is_object()) << c.value("after_error", "");
  const double after_offset = c.at("after").at("offset_us").get<double>();
  const double after_bound = c.at("after").at("error_bound_us").get<double>();
  EXPECT_LE(std::abs(after_offset - shift_us), after_bound);
  EXPECT_NEAR(c.at("drift_us").get<double>(), after_offset - offset, 0.002);

  // Uncorrected, latencies would be off by the whole shift (seconds) or clamped to 0.
  const auto& lat = r.at("latency_us");
  EXPECT_EQ(lat.at("count").get<std::uint64_t>(), expected);
  EXPECT_GT(lat.at("p50").get<double>(), 0.0);
  EXPECT_LT(lat.at("p50").get<double>(), 100'000.0);
  EXPECT_LT(lat.at("max").get<double>(), 1'000'000.0);
}

TEST(two_hosts, loopback_webhook_producer_clock_ahead) {
  pair_config cfg;
  cfg.shift_us = kShiftPlusUs;
  expect_clean_two_clock_run(run_pair(cfg), cfg.shift_us);
}

TEST(two_hosts, loopback_webhook_producer_clock_behind) {
  pair_config cfg;
  cfg.shift_us = kShiftMinusUs;
  expect_clean_two_clock_run(run_pair(cfg), cfg.shift_us);
}

TEST(two_hosts, loopback_poll_producer_clock_ahead) {
  pair_config cfg;
  cfg.mode = "poll";
  cfg.shift_us = kShiftPlusUs;
  expect_clean_two_clock_run(run_pair(cfg), cfg.shift_us);
}

TEST(two_hosts, loopback_poll_producer_clock_behind) {
  pair_config cfg;
  cfg.mode = "poll";
  cfg.shift_us = kShiftMinusUs;
  expect_clean_two_clock_run(run_pair(cfg), cfg.shift_us);
}

// `ip ARGS...` to completion (10 s bound); returns stderr, empty on success.
std::string ip(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"ip"};
  argv.insert(argv.end(), args.begin(), args.end());
  process p(raw_command, argv);
  const auto exit = p.wait(milliseconds(10'000));
  if (exit.exited && exit.code == 0) return "";
  if (exit.exited && exit.code == 127) return "`ip` not found (iproute2 is not installed)";
  const std::string err = p.err().empty() ? "exit " + std::to_string(exit.code) : p.err();
  return "ip failed (" + err + ")";
}

// Two network namespaces joined by a veth pair: the producer's side 198.18.0.1/24, the
// consumer's 198.18.0.2/24. Deleted (with the veth pair) when it goes out of scope.
class two_namespaces {
 public:
  two_namespaces() {
    const std::string id = std::to_string(getpid());
    producer_ = "hookbench-p" + id;
    consumer_ = "hookbench-c" + id;
    const std::string veth_p = "hbp" + id, veth_c = "hbc" + id;  // at most 15 characters
    error_ = ip({"netns", "add", producer_});
    if (!error_.empty()) return;
    created_.push_back(producer_);
    error_ = ip({"netns", "add", consumer_});
    if (!error_.empty()) return;
    created_.push_back(consumer_);
    for (const auto& step : std::vector<std::vector<std::string>>{
             {"link", "add", veth_p, "netns", producer_, "type", "veth", "peer", "name", veth_c,
              "netns", consumer_},
             {"-n", producer_, "addr", "add", "198.18.0.1/24", "dev", veth_p},
             {"-n", consumer_, "addr", "add", "198.18.0.2/24", "dev", veth_c},
             {"-n", producer_, "link", "set", veth_p, "up"},
             {"-n", consumer_, "link", "set", veth_c, "up"},
             {"-n", producer_, "link", "set", "lo", "up"},
             {"-n", consumer_, "link", "set", "lo", "up"}}) {
      error_ = ip(step);
      if (!error_.empty()) return;
    }
  }
  ~two_namespaces() {
    for (const auto& ns : created_) ip({"netns", "del", ns});
  }
  two_namespaces(const two_namespaces&) = delete;
  two_namespaces& operator=(const two_namespaces&) = delete;

  const std::string& error() const { return error_; }
  side producer() const { return {{"ip", "netns", "exec", producer_}, "198.18.0.1", producer_}; }
  side consumer() const { return {{"ip", "netns", "exec", consumer_}, "198.18.0.2", consumer_}; }

 private:
  std::string producer_, consumer_, error_;
  std::vector<std::string> created_;
};

// Skips (with the reason) where namespaces cannot be made: not root, no `ip`, no permission.
#define HOOKBENCH_NAMESPACES_OR_SKIP(ns)                                                       \
  if (geteuid() != 0) GTEST_SKIP() << "two-host test needs root to create network namespaces"; \
  two_namespaces ns;                                                                           \
  if (!ns.error().empty()) {                                                                   \
    GTEST_SKIP() << "two-host test: cannot create network namespaces: " << ns.error();         \
  }

TEST(two_hosts, namespaces_webhook) {
  HOOKBENCH_NAMESPACES_OR_SKIP(ns);
  pair_config cfg;
  cfg.producer = ns.producer();
  cfg.consumer = ns.consumer();
  cfg.shift_us = kShiftPlusUs;
  expect_clean_two_clock_run(run_pair(cfg), cfg.shift_us);
}

TEST(two_hosts, namespaces_poll) {
  HOOKBENCH_NAMESPACES_OR_SKIP(ns);
  pair_config cfg;
  cfg.producer = ns.producer();
  cfg.consumer = ns.consumer();
  cfg.mode = "poll";
  cfg.shift_us = kShiftMinusUs;
  expect_clean_two_clock_run(run_pair(cfg), cfg.shift_us);
}

}  // namespace
}  // namespace hookbench_test
