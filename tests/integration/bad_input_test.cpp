// Bad input and faults at the command line: every wrong or contradictory flag exits 2 with one
// stderr line naming the flag; a port in use or an unreachable producer fails fast, says which
// side and why, and leaves no process behind.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <ostream>

#include "hookbench_process.hpp"

namespace hookbench_test {
namespace {

struct bad_flag_case {
  std::vector<std::string> args;
  std::string names;  // what the one error line must contain
};

// "run --rate abc": how the case reads in test output and ctest names.
void PrintTo(const bad_flag_case& c, std::ostream* os) {
  for (std::size_t i = 0; i < c.args.size(); ++i) *os << (i ? " " : "") << c.args[i];
}

// "run_rate_abc": the gtest name of the case (letters, digits and underscores only).
std::string case_name(const ::testing::TestParamInfo<bad_flag_case>& info) {
  std::string name;
  for (const auto& a : info.param.args) {
    for (char ch : a) {
      const bool word = std::isalnum(static_cast<unsigned char>(ch)) != 0;
      if (word) {
        name += ch;
      } else if (!name.empty() && name.back() != '_') {
        name += '_';
      }
    }
    if (!name.empty() && name.back() != '_') name += '_';
  }
  while (!name.empty() && name.back() == '_') name.pop_back();
  return name;
}

class bad_flags : public ::testing::TestWithParam<bad_flag_case> {};

TEST_P(bad_flags, exit_2_with_one_line_naming_the_flag) {
  const auto& c = GetParam();
  const auto r = run_hookbench(c.args, milliseconds(10'000));
  ASSERT_TRUE(r.exit.exited) << "did not exit within 10 s";
  EXPECT_EQ(r.exit.code, 2) << r.err;
  const auto lines = lines_of(r.err);
  ASSERT_EQ(lines.size(), 1u) << "stderr:\n" << r.err;
  EXPECT_NE(lines[0].find(c.names), std::string::npos) << lines[0];
  EXPECT_TRUE(r.out.empty()) << "stdout:\n" << r.out;
  EXPECT_LT(r.exit.seconds, 5.0) << "a usage error should not start anything";
}

INSTANTIATE_TEST_SUITE_P(
    cli, bad_flags,
    ::testing::Values(
        bad_flag_case{{"run", "--rate", "abc"}, "--rate"},
        bad_flag_case{{"run", "--rate", "-5"}, "--rate"},
        bad_flag_case{{"run", "--rate"}, "--rate"},
        bad_flag_case{{"run", "--interval", "5"}, "--interval"},
        bad_flag_case{{"run", "--mode", "bogus"}, "--mode"},
        bad_flag_case{{"run", "--mode", "webhook", "--interval", "100ms"}, "--interval"},
        bad_flag_case{{"run", "--mode", "poll", "--webhook-concurrency", "16"},
                      "--webhook-concurrency"},
        bad_flag_case{{"run", "--pin", "0"}, "--pin"},
        bad_flag_case{{"run", "--pin", "0,99"}, "--pin"},
        bad_flag_case{{"run", "--pin", "a,b"}, "--pin"},
        bad_flag_case{{"run", "--subscribers", "0"}, "--subscribers"},
        bad_flag_case{{"run", "--duration", "0s"}, "--duration"},
        bad_flag_case{{"run", "--warmup", "-1s"}, "--warmup"},
        bad_flag_case{{"run", "--warmup", "1e12s"}, "--warmup"},
        bad_flag_case{{"run", "--retention", "0"}, "--retention"},
        bad_flag_case{{"run", "--arrivals", "bursty"}, "--arrivals"},
        bad_flag_case{{"run", "--signature", "rsa"}, "--signature"},
        bad_flag_case{{"serve", "--signature", "v1"}, "--signature"},
        bad_flag_case{{"client", "--producer", "http://127.0.0.1:1", "--signature", "hmac256"},
                      "--signature"},
        bad_flag_case{{"run", "--no-such-option"}, "--no-such-option"},
        bad_flag_case{{"run", "poll"}, "'poll'"}, bad_flag_case{{"client"}, "--producer"},
        bad_flag_case{{"client", "--producer", "127.0.0.1:8080"}, "--producer"},
        bad_flag_case{{"client", "--producer", "http://127.0.0.1:1", "--listen", "127.0.0.1:0"},
                      "--listen"},
        bad_flag_case{
            {"client", "--producer", "http://127.0.0.1:1", "--mode", "webhook", "--interval", "1s"},
            "--interval"},
        bad_flag_case{{"serve", "--listen", "nowhere"}, "--listen"},
        bad_flag_case{{"serve", "--webhook-connection", "sometimes"}, "--webhook-connection"},
        bad_flag_case{{"model-check"}, "sweep folder"},
        bad_flag_case{{"model-check", "/nonexistent-sweep"}, "/nonexistent-sweep"},
        bad_flag_case{{"model-check", "--tolerance", "x", "."}, "--tolerance"},
        bad_flag_case{{"model-check", "--bogus"}, "--bogus"},
        bad_flag_case{{"no-such-command"}, "no-such-command"}),
    case_name);

TEST(help, every_command_documents_its_flags) {
  const std::pair<const char*, std::vector<const char*>> expected[] = {
      {"run",
       {"--mode", "--rate", "--interval", "--subscribers", "--duration", "--warmup", "--drain",
        "--payload", "--seed", "--arrivals", "--pin", "--out", "--port", "--retention",
        "--webhook-connection", "--webhook-concurrency", "--signature", "--unsigned", "--help"}},
      {"serve",
       {"--listen", "--rate", "--arrivals", "--seed", "--payload", "--warmup", "--duration",
        "--retention", "--webhook-connection", "--signature", "--help"}},
      {"client",
       {"--producer", "--mode", "--subscribers", "--interval", "--listen", "--drain", "--signature",
        "--help"}},
      {"model-check", {"--tolerance", "--without-fan-out-measures", "DIR"}},
  };
  for (const auto& [command, flags] : expected) {
    const auto r = run_hookbench({command, "--help"}, milliseconds(10'000));
    ASSERT_TRUE(r.exit.exited);
    EXPECT_EQ(r.exit.code, 0) << command;
    EXPECT_TRUE(r.err.empty()) << command << ": " << r.err;
    for (const char* flag : flags) {
      EXPECT_NE(r.out.find(flag), std::string::npos) << command << " --help lacks " << flag;
    }
  }
}

// A listening socket on 127.0.0.1 with a kernel-chosen port, closed at scope exit.
class occupied_port {
 public:
  occupied_port() {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    socklen_t len = sizeof addr;
    if (fd_ < 0 || bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        listen(fd_, 1) != 0 || getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      throw std::runtime_error("cannot occupy a port");
    }
    port_ = ntohs(addr.sin_port);
  }
  ~occupied_port() { close(fd_); }
  std::uint16_t port() const { return port_; }

 private:
  int fd_ = -1;
  std::uint16_t port_ = 0;
};

TEST(faults, port_in_use_names_the_producer_and_leaves_no_process) {
  become_subreaper();
  occupied_port busy;
  temp_dir dir;
  const auto r = run_hookbench({"run", "--port", std::to_string(busy.port()), "--duration", "1s",
                                "--warmup", "200ms", "--quiet", "--out", dir.file("r.json")},
                               milliseconds(30'000));
  ASSERT_TRUE(r.exit.exited) << "hung on a port in use";
  EXPECT_NE(r.exit.code, 0);
  EXPECT_LT(r.exit.seconds, 15.0);
  EXPECT_NE(r.err.find("producer"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(std::to_string(busy.port())), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("in use"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(dir.file("r.json"))) << "a failed run wrote a result";
  EXPECT_EQ(reap_orphans(), 0u) << "the run left child processes behind";
}

TEST(faults, unreachable_producer_exits_1_with_a_clear_line) {
  // Nothing listens on port 1 of loopback (binding it needs privileges no test uses).
  const auto r = run_hookbench({"client", "--producer", "http://127.0.0.1:1", "--timeout", "2s"},
                               milliseconds(20'000));
  ASSERT_TRUE(r.exit.exited);
  EXPECT_EQ(r.exit.code, 1);
  const auto lines = lines_of(r.err);
  ASSERT_EQ(lines.size(), 1u) << r.err;
  EXPECT_NE(lines[0].find("127.0.0.1:1"), std::string::npos) << lines[0];
  EXPECT_NE(lines[0].find("producer"), std::string::npos) << lines[0];
  EXPECT_EQ(r.out.find("\"ready\""), std::string::npos) << "reported ready without a producer";
}

}  // namespace
}  // namespace hookbench_test
