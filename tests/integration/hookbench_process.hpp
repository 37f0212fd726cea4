// Helpers for integration tests that run the real `hookbench` binary: spawn it with its stdout
// and stderr captured, wait for it with a bound (SIGKILL past the bound), read its --out JSON,
// find its child processes through /proc, and give each test a private temp directory.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#ifndef HOOKBENCH_BIN
#error "HOOKBENCH_BIN must name the hookbench executable (set by tests/CMakeLists.txt)"
#endif

namespace hookbench_test {

using steady = std::chrono::steady_clock;
using std::chrono::milliseconds;

// Every `serve` and `client` a test starts takes its tokens from the environment it inherits
// from the test process (`run` hands its children fresh ones of its own).
inline constexpr const char* kApiToken = "hookbench-test-api-token";
inline constexpr const char* kControlToken = "hookbench-test-control-token";
inline const bool kTokensInEnvironment = [] {
  setenv("HOOKBENCH_TOKEN", kApiToken, 1);
  setenv("HOOKBENCH_CONTROL_TOKEN", kControlToken, 1);
  return true;
}();

// The Authorization line a raw request to `target` needs: the control token for the
// producer's /control/ routes, the API token for the rest.
inline std::string auth_line(const std::string& target) {
  const bool control = target.rfind("/control/", 0) == 0;
  return std::string("Authorization: Bearer ") + (control ? kControlToken : kApiToken) + "\r\n";
}

struct exit_info {
  bool exited = false;  // false: still running when the bound passed (then killed)
  int code = -1;        // exit status when it exited normally
  int signal = 0;       // terminating signal otherwise
  double seconds = 0;   // from spawn to exit
};

// Tag for process(raw_command, ARGV): run ARGV as given (found on PATH), not `hookbench ARGV`.
struct raw_command_t {};
inline constexpr raw_command_t raw_command{};

// A spawned `hookbench ARGS...` (or any command) with both output streams captured. It leads a
// process group of its own, and a timeout or the destructor kills the whole group: no
// grandchild outlives its test to load the next one.
class process {
 public:
  explicit process(const std::vector<std::string>& args)
      : process(raw_command, with_hookbench(args)) {}

  // Any command, e.g. {"ip", "netns", "exec", NS, HOOKBENCH_BIN, "serve", ...}.
  process(raw_command_t, std::vector<std::string> store) {
    int out[2], err[2];
    if (pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0) {
      throw std::runtime_error("pipe failed");
    }
    std::vector<char*> argv;
    for (auto& a : store) argv.push_back(a.data());
    argv.push_back(nullptr);
    started_ = steady::now();
    pid_ = fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) {
      setpgid(0, 0);
      dup2(out[1], STDOUT_FILENO);
      dup2(err[1], STDERR_FILENO);
      execvp(argv[0], argv.data());
      _exit(127);
    }
    setpgid(pid_, pid_);  // also here: no kill(-pid) may run before the child made its group
    close(out[1]);
    close(err[1]);
    out_fd_ = out[0];
    err_fd_ = err[0];
    fcntl(out_fd_, F_SETFL, O_NONBLOCK);
    fcntl(err_fd_, F_SETFL, O_NONBLOCK);
  }

  ~process() {
    if (pid_ > 0) kill_group();
    if (!reaped_ && pid_ > 0) {
      int status = 0;
      waitpid(pid_, &status, 0);
    }
    if (out_fd_ >= 0) close(out_fd_);
    if (err_fd_ >= 0) close(err_fd_);
  }
  process(const process&) = delete;
  process& operator=(const process&) = delete;

  pid_t pid() const { return pid_; }
  const std::string& out() const { return out_; }
  const std::string& err() const { return err_; }

  // Reads what is available on stdout/stderr, waiting at most `timeout` for something.
  void pump(milliseconds timeout) {
    pollfd fds[2];
    nfds_t n = 0;
    if (out_fd_ >= 0) fds[n++] = {out_fd_, POLLIN, 0};
    if (err_fd_ >= 0) fds[n++] = {err_fd_, POLLIN, 0};
    if (n == 0) return;
    if (poll(fds, n, static_cast<int>(timeout.count())) <= 0) return;
    drain(out_fd_, out_);
    drain(err_fd_, err_);
  }

  // Pumps until `done()` is true or the bound passes; returns done().
  template <class Pred>
  bool pump_until(Pred done, milliseconds bound) {
    const auto deadline = steady::now() + bound;
    while (!done()) {
      if (steady::now() >= deadline) return false;
      if (out_fd_ < 0 && err_fd_ < 0) return done();
      pump(milliseconds(50));
    }
    return true;
  }

  // The next complete stdout line, waiting at most `bound`.
  std::optional<std::string> stdout_line(milliseconds bound) {
    if (!pump_until([&] { return out_.find('\n', out_pos_) != std::string::npos; }, bound)) {
      return std::nullopt;
    }
    const auto nl = out_.find('\n', out_pos_);
    std::string line = out_.substr(out_pos_, nl - out_pos_);
    out_pos_ = nl + 1;
    return line;
  }

  // Waits for exit, collecting output; SIGKILLs the process when `bound` passes. Output written
  // by processes that outlive it (they would hold the pipes open) is read for at most 1 s more.
  exit_info wait(milliseconds bound) {
    const auto deadline = steady::now() + bound;
    exit_info info;
    int status = 0;
    for (;;) {
      const pid_t r = waitpid(pid_, &status, WNOHANG);
      if (r == pid_) break;
      if (steady::now() >= deadline) {
        kill_group();
        waitpid(pid_, &status, 0);
        reaped_ = true;
        info.seconds = seconds_since_start();
        pump_until([] { return false; }, milliseconds(200));
        return info;
      }
      pump(milliseconds(20));
    }
    reaped_ = true;
    info.seconds = seconds_since_start();
    info.exited = true;
    if (WIFEXITED(status)) info.code = WEXITSTATUS(status);
    if (WIFSIGNALED(status)) info.signal = WTERMSIG(status);
    pump_until([&] { return out_fd_ < 0 && err_fd_ < 0; }, milliseconds(1000));
    return info;
  }

 private:
  // SIGKILL to the process and everything in its group (a grandchild that left the group, as
  // `run`'s children do, dies with its parent by PR_SET_PDEATHSIG).
  void kill_group() {
    kill(-pid_, SIGKILL);
    kill(pid_, SIGKILL);
  }

  static std::vector<std::string> with_hookbench(const std::vector<std::string>& args) {
    std::vector<std::string> store{HOOKBENCH_BIN};
    store.insert(store.end(), args.begin(), args.end());
    return store;
  }

  double seconds_since_start() const {
    return std::chrono::duration<double>(steady::now() - started_).count();
  }

  static void drain(int& fd, std::string& into) {
    if (fd < 0) return;
    char buf[65536];
    for (;;) {
      const ssize_t n = read(fd, buf, sizeof buf);
      if (n > 0) {
        into.append(buf, static_cast<std::size_t>(n));
        continue;
      }
      if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
      close(fd);  // EOF or error: every writer is gone
      fd = -1;
      return;
    }
  }

  pid_t pid_ = -1;
  int out_fd_ = -1, err_fd_ = -1;
  std::string out_, err_;
  std::size_t out_pos_ = 0;
  bool reaped_ = false;
  steady::time_point started_;
};

// Runs `hookbench ARGS...` to completion (bounded) and returns its exit and output.
struct run_output {
  exit_info exit;
  std::string out, err;
};
inline run_output run_hookbench(const std::vector<std::string>& args, milliseconds bound) {
  process p(args);
  run_output r;
  r.exit = p.wait(bound);
  r.out = p.out();
  r.err = p.err();
  return r;
}

// The first JSON line on `p`'s stdout whose "event" is `event` (a side's ready or report line),
// waiting at most `bound`; nullopt when none came.
inline std::optional<nlohmann::json> json_line(process& p, const std::string& event,
                                               milliseconds bound) {
  const auto deadline = steady::now() + bound;
  while (steady::now() < deadline) {
    auto line = p.stdout_line(std::chrono::duration_cast<milliseconds>(deadline - steady::now()));
    if (!line) break;
    auto j = nlohmann::json::parse(*line, nullptr, false);
    if (j.is_object() && j.value("event", "") == event) return j;
  }
  return std::nullopt;
}

// A reply read off the wire: status (0 when there was none), head and body.
struct http_reply {
  unsigned status = 0;
  std::string headers, body;
  std::string raw;
};

// Sends `raw` (a whole request, as bytes) on a fresh IPv4 connection and reads until the server
// closes; every send and receive is bounded by a 5 s socket timeout.
inline http_reply raw_exchange(const std::string& host, std::uint16_t port,
                               const std::string& raw) {
  http_reply r;
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return r;
  timeval tv{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  inet_pton(AF_INET, host.c_str(), &addr.sin_addr);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
    std::size_t sent = 0;
    while (sent < raw.size()) {
      const ssize_t n = send(fd, raw.data() + sent, raw.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) break;  // an oversized body may be refused before it is all sent
      sent += static_cast<std::size_t>(n);
    }
    char buf[4096];
    for (ssize_t n; (n = recv(fd, buf, sizeof buf, 0)) > 0;) {
      r.raw.append(buf, static_cast<std::size_t>(n));
    }
  }
  close(fd);
  if (r.raw.rfind("HTTP/1.", 0) == 0 && r.raw.size() >= 12) {
    r.status = static_cast<unsigned>(std::stoul(r.raw.substr(9, 3)));
  }
  const auto end = r.raw.find("\r\n\r\n");
  if (end != std::string::npos) {
    r.headers = r.raw.substr(0, end);
    r.body = r.raw.substr(end + 4);
  }
  return r;
}

// The status of one HTTP/1.1 request with a JSON body and the test's token (0 when there
// was no answer).
inline unsigned raw_http_status(const std::string& host, std::uint16_t port,
                                const std::string& method, const std::string& path,
                                const std::string& body = "") {
  return raw_exchange(host, port,
                      method + " " + path + " HTTP/1.1\r\nHost: " + host + "\r\n" +
                          auth_line(path) + "Content-Type: application/json\r\nContent-Length: " +
                          std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body)
      .status;
}

inline std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) out.push_back(line);
  }
  return out;
}

// A fresh directory under $TMPDIR (or /tmp), removed with everything in it.
class temp_dir {
 public:
  temp_dir() {
    const char* base = std::getenv("TMPDIR");
    std::string tmpl = std::string(base && *base ? base : "/tmp") + "/hookbench-test-XXXXXX";
    if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
  }
  ~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

inline nlohmann::json read_json_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) return nullptr;
  auto j = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  return j.is_discarded() ? nlohmann::json(nullptr) : j;
}

// `hookbench run ARGS... --quiet --out FILE` to completion, with the JSON it wrote (null when
// it wrote none). --quiet keeps stderr for warnings and errors only.
struct run_result {
  exit_info exit;
  std::string out, err;
  nlohmann::json result;
  const nlohmann::json& metrics() const { return result.at("metrics"); }
};
inline run_result hookbench_run(std::vector<std::string> args,
                                milliseconds bound = milliseconds(60'000)) {
  temp_dir dir;
  const std::string file = dir.file("result.json");
  args.insert(args.begin(), "run");
  args.insert(args.end(), {"--quiet", "--out", file});
  process p(args);
  run_result r;
  r.exit = p.wait(bound);
  r.out = p.out();
  r.err = p.err();
  r.result = read_json_file(file);
  return r;
}

// Timing tests (named timing_*, ctest label `timing`, run once on the release build, never under
// ASan) bound a speed: a latency, a schedule kept, a run not saturated. Every other test checks
// correctness, with bounds wide enough for a 2-vCPU machine under ASan and a CPU hog. A timing
// test prints what it measured on one line, "[timing] NAME VALUE", so that its bound can be
// derived from the spread seen over many runs (ctest -L timing -V --repeat until-fail:10).
inline void report_timing(const std::string& name, double value) {
  std::printf("[timing] %s %.6g\n", name.c_str(), value);
  std::fflush(stdout);
}

// The WARNING lines of a run's stderr that speak of correctness: every line but the two that
// judge speed (the poll schedule kept within T/10, and SATURATED), which timing tests check.
inline std::vector<std::string> correctness_warnings(const std::string& err) {
  std::vector<std::string> out;
  std::istringstream in(err);
  for (std::string line; std::getline(in, line);) {
    const auto at = line.find("WARNING: ");
    if (at == std::string::npos) continue;
    const std::string what = line.substr(at + 9);
    if (what.rfind("SATURATED", 0) == 0) continue;
    if (what.find("polls were late") != std::string::npos) continue;
    out.push_back(line);
  }
  return out;
}

// One line of /proc/PID/stat: "pid (comm) state ppid ...". comm may hold spaces and ')'.
struct proc_stat {
  pid_t pid = 0;
  std::string comm;
  char state = '?';
  pid_t ppid = 0;
};
inline std::optional<proc_stat> read_proc_stat(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text;
  if (!in || !std::getline(in, text)) return std::nullopt;
  const auto open = text.find('(');
  const auto close_paren = text.rfind(')');
  if (open == std::string::npos || close_paren == std::string::npos) return std::nullopt;
  proc_stat s;
  s.pid = pid;
  s.comm = text.substr(open + 1, close_paren - open - 1);
  std::istringstream rest(text.substr(close_paren + 1));
  rest >> s.state >> s.ppid;
  return s;
}

// Every process (zombies included) whose parent is `parent`.
inline std::vector<proc_stat> children_of(pid_t parent) {
  std::vector<proc_stat> out;
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    const std::string name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    auto s = read_proc_stat(static_cast<pid_t>(std::stol(name)));
    if (s && s->ppid == parent) out.push_back(*s);
  }
  return out;
}

// Makes this test process the reaper of orphaned descendants, so a grandchild that outlives
// its parent shows up in children_of(getpid()) instead of vanishing under init.
inline void become_subreaper() { prctl(PR_SET_CHILD_SUBREAPER, 1); }

// Reaps (and first kills) whatever orphans were handed to us, so one test cannot leak into the
// next; returns how many there were.
inline std::size_t reap_orphans() {
  std::size_t n = 0;
  for (const auto& c : children_of(getpid())) {
    kill(c.pid, SIGKILL);
    int status = 0;
    waitpid(c.pid, &status, 0);
    ++n;
  }
  return n;
}

}  // namespace hookbench_test
