// A child hookbench process (serve or client) whose stdout carries JSON lines to the
// orchestrator. It runs in its own process group (a Ctrl-C reaches the orchestrator, which
// stops it with one SIGTERM), dies with the orchestrator (PR_SET_PDEATHSIG), may be pinned to a
// core, and every wait on it is bounded.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "core/clock.hpp"

namespace hookbench {

// Set by SIGINT/SIGTERM in the orchestrator; every wait returns `interrupted` once it is set.
extern volatile int g_interrupted;
void install_interrupt_handlers();

// What a child is given: `extra` ("NAME=value"), and of this process's environment only PATH,
// HOME, USER, LOGNAME, TMPDIR, TZ, TERM, LANG, LANGUAGE, LC_*, the TLS trust settings
// (SSL_CERT_FILE, SSL_CERT_DIR, OPENSSL_CONF) and the sanitizers' *SAN_OPTIONS. Nothing else
// passes, so a token the orchestrator was given (HOOKBENCH_CONTROL_TOKEN, ...) reaches only the
// child it is handed to.
std::vector<std::string> child_environment(const std::vector<std::string>& extra);

// The path of an executable `name` in $PATH; "" when there is none.
std::string find_program(const std::string& name);

class child_process {
 public:
  // Runs this executable with `args`; pin_core < 0 means no pinning. Its environment is
  // child_environment(env): `env` ("NAME=value") and the few inherited variables a process
  // needs (secrets go this way rather than on the command line, which every local user can
  // read). Throws std::runtime_error.
  child_process(std::string role, const std::vector<std::string>& args, int pin_core = -1,
                const std::vector<std::string>& env = {});
  // Runs `program` (a path) instead, the same way (its stdout to read_line, its own process
  // group, bounded waits).
  child_process(std::string role, const std::string& program, const std::vector<std::string>& args,
                int pin_core = -1, const std::vector<std::string>& env = {});
  ~child_process();
  child_process(const child_process&) = delete;
  child_process& operator=(const child_process&) = delete;

  enum class wait_status { ok, timeout, exited, interrupted };
  // Next line of the child's stdout, waiting until `deadline_ns` (monotonic).
  wait_status read_line(std::string& line, nanos deadline_ns);
  // Waits for exit until the deadline; true if it exited.
  bool wait_exit(nanos deadline_ns);
  // One SIGTERM, then SIGKILL after `grace`; always reaps. The destructor does this.
  void terminate(nanos grace = 2 * kNanosPerSecond);
  // SIGKILL now (a crash: no handler runs, nothing is flushed), then reaps.
  void kill_now();
  bool running();
  // SIGSTOP / SIGCONT to the child (the consumer-down fault). terminate() continues a stopped
  // child first, so that its SIGTERM is handled.
  void suspend();
  void resume();
  bool suspended() const { return suspended_; }
  // "exited with status 1", "killed by signal 9", "running".
  std::string status_text();
  const std::string& role() const { return role_; }
  pid_t pid() const { return pid_; }

 private:
  void reap(bool block);

  std::string role_;
  pid_t pid_ = -1;
  int out_fd_ = -1;
  std::string buffer_;
  bool exited_ = false;
  bool suspended_ = false;
  int status_ = 0;
};

}  // namespace hookbench
