// fork/exec with a stdout pipe, core pinning and bounded waits.
#include "orchestrator/child_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

namespace hookbench {

volatile int g_interrupted = 0;

namespace {

void on_signal(int) { g_interrupted = 1; }

std::string self_exe() {
  char buf[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0)
    throw std::runtime_error("cannot find own executable: " + std::string(strerror(errno)));
  return std::string(buf, static_cast<std::size_t>(n));
}

}  // namespace

void install_interrupt_handlers() {
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;  // no SA_RESTART: poll() returns EINTR so waits notice at once
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  signal(SIGPIPE, SIG_IGN);
}

std::vector<std::string> child_environment(const std::vector<std::string>& extra) {
  static constexpr std::string_view kKept[] = {
      "PATH", "HOME", "USER",     "LOGNAME",       "TMPDIR",       "TZ",
      "TERM", "LANG", "LANGUAGE", "SSL_CERT_FILE", "SSL_CERT_DIR", "OPENSSL_CONF"};
  std::vector<std::string> out;
  for (char** e = environ; *e; ++e) {
    const std::string_view entry(*e);
    const auto eq = entry.find('=');
    if (eq == std::string_view::npos) continue;
    const auto name = entry.substr(0, eq);
    bool keep = name.starts_with("LC_") || name.ends_with("SAN_OPTIONS");
    for (auto k : kKept) keep |= name == k;
    bool replaced = false;
    for (const auto& x : extra)
      replaced |= std::string_view(x).starts_with(entry.substr(0, eq + 1));
    if (keep && !replaced) out.emplace_back(entry);
  }
  out.insert(out.end(), extra.begin(), extra.end());
  return out;
}

child_process::child_process(std::string role, const std::vector<std::string>& args, int pin_core,
                             const std::vector<std::string>& env)
    : child_process(std::move(role), self_exe(), args, pin_core, env) {}

child_process::child_process(std::string role, const std::string& program,
                             const std::vector<std::string>& args, int pin_core,
                             const std::vector<std::string>& env)
    : role_(std::move(role)) {
  std::vector<std::string> argv_store{program};
  argv_store.insert(argv_store.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_store) argv.push_back(a.data());
  argv.push_back(nullptr);
  // The environment, built before fork: the child may only make async-signal-safe calls.
  std::vector<std::string> env_store = child_environment(env);
  std::vector<char*> envp;
  for (auto& e : env_store) envp.push_back(e.data());
  envp.push_back(nullptr);

  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) {
    throw std::runtime_error("cannot create pipe for " + role_ + ": " + strerror(errno));
  }
  const pid_t parent = getpid();
  pid_ = fork();
  if (pid_ < 0) {
    close(fds[0]);
    close(fds[1]);
    throw std::runtime_error("cannot fork " + role_ + ": " + strerror(errno));
  }
  if (pid_ == 0) {
    // Child: only async-signal-safe calls until exec.
    // Its own process group: a terminal's Ctrl-C reaches the orchestrator alone, which then
    // stops each child with one SIGTERM. A child that got the group's SIGINT too was signalled
    // twice, and the second signal could kill it mid-exit (under ASan, while LeakSanitizer's
    // helper task is running, which then outlives it).
    setpgid(0, 0);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);
    dup2(fds[1], STDOUT_FILENO);
    if (pin_core >= 0) {
      cpu_set_t set;
      CPU_ZERO(&set);
      CPU_SET(pin_core, &set);
      if (sched_setaffinity(0, sizeof set, &set) != 0) _exit(126);
    }
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    execve(argv[0], argv.data(), envp.data());
    _exit(127);
  }
  setpgid(pid_, pid_);  // also here, so that no signal can reach it before the child did it
  close(fds[1]);
  out_fd_ = fds[0];
}

std::string find_program(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "/usr/bin:/bin";
  std::size_t start = 0;
  while (start <= dirs.size()) {
    const std::size_t end = std::min(dirs.find(':', start), dirs.size());
    const std::string dir = dirs.substr(start, end - start);
    const std::string candidate = (dir.empty() ? "." : dir) + "/" + name;
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
    start = end + 1;
  }
  return "";
}

child_process::~child_process() {
  terminate();
  if (out_fd_ >= 0) close(out_fd_);
}

child_process::wait_status child_process::read_line(std::string& line, nanos deadline_ns) {
  for (;;) {
    if (auto nl = buffer_.find('\n'); nl != std::string::npos) {
      line = buffer_.substr(0, nl);
      buffer_.erase(0, nl + 1);
      return wait_status::ok;
    }
    if (g_interrupted) return wait_status::interrupted;
    if (out_fd_ < 0) return wait_status::exited;
    const nanos left = deadline_ns - now_ns();
    if (left <= 0) return wait_status::timeout;
    pollfd pfd{out_fd_, POLLIN, 0};
    int ms = static_cast<int>(std::min<nanos>(left / kNanosPerMilli + 1, 200));
    int rc = poll(&pfd, 1, ms);
    if (rc < 0 && errno != EINTR) return wait_status::exited;
    if (rc <= 0) continue;
    char buf[65536];
    ssize_t n = read(out_fd_, buf, sizeof buf);
    if (n > 0) {
      buffer_.append(buf, static_cast<std::size_t>(n));
    } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
      close(out_fd_);
      out_fd_ = -1;
      wait_exit(now_ns() + 2 * kNanosPerSecond);
    }
  }
}

void child_process::reap(bool block) {
  if (exited_ || pid_ <= 0) return;
  int status = 0;
  pid_t r = waitpid(pid_, &status, block ? 0 : WNOHANG);
  if (r == pid_) {
    exited_ = true;
    status_ = status;
  }
}

bool child_process::running() {
  reap(false);
  return pid_ > 0 && !exited_;
}

bool child_process::wait_exit(nanos deadline_ns) {
  while (running()) {
    if (now_ns() >= deadline_ns) return false;
    usleep(5000);
  }
  return true;
}

void child_process::suspend() {
  if (!running()) return;
  kill(pid_, SIGSTOP);
  suspended_ = true;
}

void child_process::resume() {
  if (!suspended_ || !running()) return;
  kill(pid_, SIGCONT);
  suspended_ = false;
}

void child_process::terminate(nanos grace) {
  if (!running()) return;
  kill(pid_, SIGTERM);
  resume();  // a stopped child holds SIGTERM pending until continued
  if (!wait_exit(now_ns() + grace)) {
    kill(pid_, SIGKILL);
    reap(true);
  }
}

void child_process::kill_now() {
  if (!running()) return;
  kill(pid_, SIGKILL);
  reap(true);
}

std::string child_process::status_text() {
  if (running()) return "running";
  if (WIFEXITED(status_)) return "exited with status " + std::to_string(WEXITSTATUS(status_));
  if (WIFSIGNALED(status_)) return "killed by signal " + std::to_string(WTERMSIG(status_));
  return "ended";
}

}  // namespace hookbench
