// A running `hookbench run` that is interrupted (Ctrl-C) or loses one side (a child killed):
// the orchestrator ends promptly with a non-zero status, says which side failed, and takes the
// other child with it. The test process makes itself the subreaper of its descendants, so a
// child the orchestrator failed to reap would be handed to us and seen.
#include <gtest/gtest.h>
#include <signal.h>

#include <fstream>
#include <iterator>

#include "hookbench_process.hpp"

namespace hookbench_test {
namespace {

// argv[1] of a process ("serve", "client"), from /proc/PID/cmdline.
std::string subcommand_of(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/cmdline");
  const std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto first = all.find('\0');
  if (first == std::string::npos) return "";
  return all.substr(first + 1, all.find('\0', first + 1) - first - 1);
}

// A long poll run, started and waited for until it is measuring.
struct measuring_run {
  // It leads a process group of its own (hookbench_process.hpp), as a shell's job would.
  measuring_run()
      : run({"run", "--mode", "poll", "--rate", "100", "--interval", "100ms", "--duration", "30s",
             "--warmup", "300ms"}) {}

  // The orchestrator prints "warm-up ..., measuring ..." once both sides are ready and
  // generation started: the readiness signal to wait for. Then its two children are known.
  void wait_until_measuring() {
    ASSERT_TRUE(run.pump_until([&] { return run.err().find("warm-up") != std::string::npos; },
                               milliseconds(30'000)))
        << "run never started measuring; stderr:\n"
        << run.err();
    children = children_of(run.pid());
    ASSERT_EQ(children.size(), 2u) << "expected a producer and a consumer";
    for (const auto& c : children) {
      EXPECT_EQ(c.comm, "hookbench");
      const std::string sub = subcommand_of(c.pid);
      if (sub == "serve") producer = c.pid;
      if (sub == "client") consumer = c.pid;
    }
    ASSERT_GT(producer, 0);
    ASSERT_GT(consumer, 0);
  }

  // Waits (bounded) for the run to end after `what` was done to it; returns its exit.
  exit_info ended_by(const char* what) {
    const auto since = steady::now();
    const auto e = run.wait(milliseconds(15'000));
    const double seconds = std::chrono::duration<double>(steady::now() - since).count();
    EXPECT_TRUE(e.exited) << "run survived " << what << "; stderr:\n" << run.err();
    EXPECT_LT(seconds, 5.0) << "slow to end after " << what;
    return e;
  }

  // Both children were reaped by the orchestrator before it exited: their pids are gone (an
  // orphan would now be our child, alive or a zombie). Whatever is left is named, with its
  // state, before it is killed and reaped.
  void expect_no_child_left() {
    for (const auto& c : children) {
      const auto still = read_proc_stat(c.pid);
      EXPECT_FALSE(still) << "the " << subcommand_of(c.pid) << " child " << c.pid
                          << " outlived the run (state " << still->state << ", parent "
                          << still->ppid << ")";
    }
    const auto orphans = children_of(getpid());
    std::string found;
    for (const auto& o : orphans) {
      found += "\n  pid " + std::to_string(o.pid) + " (" + o.comm + " " + subcommand_of(o.pid) +
               ") state " + std::string(1, o.state);
    }
    EXPECT_TRUE(orphans.empty()) << orphans.size() << " orphan(s) handed to the test:" << found
                                 << "\nrun stderr:\n"
                                 << run.err();
    reap_orphans();
  }

  process run;
  std::vector<proc_stat> children;
  pid_t producer = 0, consumer = 0;
};

TEST(interrupt, sigint_to_the_orchestrator_ends_the_run_and_its_children) {
  become_subreaper();
  measuring_run r;
  ASSERT_NO_FATAL_FAILURE(r.wait_until_measuring());
  ASSERT_EQ(kill(r.run.pid(), SIGINT), 0);
  const auto e = r.ended_by("SIGINT");
  EXPECT_EQ(e.code, 130) << r.run.err();  // 128 + SIGINT, as documented in commands.hpp
  EXPECT_NE(r.run.err().find("interrupted"), std::string::npos) << r.run.err();
  r.expect_no_child_left();
}

TEST(interrupt, ctrl_c_to_the_process_group_leaves_no_orphans) {
  become_subreaper();
  measuring_run r;  // a terminal's Ctrl-C signals the whole group
  ASSERT_NO_FATAL_FAILURE(r.wait_until_measuring());
  ASSERT_EQ(kill(-r.run.pid(), SIGINT), 0);
  const auto e = r.ended_by("SIGINT to its process group");
  // The consumer may exit before the orchestrator notices the signal; either way it fails.
  EXPECT_NE(e.code, 0) << r.run.err();
  r.expect_no_child_left();
}

TEST(child_failure, consumer_killed_mid_run_is_named_and_producer_stopped) {
  become_subreaper();
  measuring_run r;
  ASSERT_NO_FATAL_FAILURE(r.wait_until_measuring());
  ASSERT_EQ(kill(r.consumer, SIGKILL), 0);
  const auto e = r.ended_by("the consumer's death");
  EXPECT_EQ(e.code, 1) << r.run.err();
  EXPECT_NE(r.run.err().find("hookbench run: the consumer killed by signal 9"), std::string::npos)
      << r.run.err();
  r.expect_no_child_left();
}

TEST(child_failure, producer_killed_mid_run_is_named_and_consumer_stopped) {
  become_subreaper();
  measuring_run r;
  ASSERT_NO_FATAL_FAILURE(r.wait_until_measuring());
  ASSERT_EQ(kill(r.producer, SIGKILL), 0);
  const auto e = r.ended_by("the producer's death");
  EXPECT_EQ(e.code, 1) << r.run.err();
  EXPECT_NE(r.run.err().find("hookbench run: the producer killed by signal 9"), std::string::npos)
      << r.run.err();
  r.expect_no_child_left();
}

}  // namespace
}  // namespace hookbench_test
