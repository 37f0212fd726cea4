// The event log's file (serve --state-dir): what one append of a 256-byte event costs under each
// --fsync policy, on the file system of the temporary directory ($TMPDIR, /tmp by default).
//
//   durable_append/policy:0   always: write(2) + fdatasync per event, a disk flush each
//   durable_append/policy:1   interval: write(2), fdatasync at most every 10 ms (the default)
//   durable_append/policy:2   never: write(2) only, the kernel writes back when it likes
//   log_append_durable/...    event_log::append with the file attached (the producer's path)
// (the label names the policy).
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "producer/durable_log.hpp"
#include "producer/event_log.hpp"

namespace {

using namespace hookbench;

constexpr std::size_t kPayload = 256;
constexpr std::size_t kRetention = 100'000;

// A fresh file per benchmark run, removed after it.
struct scratch_file {
  std::string path;
  scratch_file() {
    path = (std::filesystem::temp_directory_path() /
            ("hookbench-durable-bench-" + std::to_string(getpid()) + ".log"))
               .string();
    std::filesystem::remove(path);
  }
  ~scratch_file() {
    std::error_code ec;
    std::filesystem::remove(path, ec);
  }
};

durable_options options_of(std::int64_t arg) {
  return {arg == 0   ? fsync_policy::always
          : arg == 1 ? fsync_policy::interval
                     : fsync_policy::never,
          10 * kNanosPerMilli};
}

void name_policy(benchmark::State& state) {
  state.SetLabel(to_string(options_of(state.range(0)).policy));
}

void durable_append(benchmark::State& state) {
  name_policy(state);
  scratch_file file;
  durable_log log(file.path, options_of(state.range(0)));
  event e{0, 0, make_payload(kPayload, 1)};
  for (auto _ : state) {
    ++e.seq;
    e.created_ns += 1000;
    if (!log.append(e)) {
      state.SkipWithError("durable_log::append failed");
      break;
    }
  }
  if (log.stats().appends != static_cast<std::uint64_t>(state.iterations())) {
    state.SkipWithError("durable_log lost appends");
  }
  state.counters["syncs_per_append"] =
      benchmark::Counter(static_cast<double>(log.stats().syncs) /
                         static_cast<double>(std::max<std::int64_t>(
                             1, static_cast<std::int64_t>(state.iterations()))));
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * kPayload));
}
BENCHMARK(durable_append)->ArgName("policy")->Arg(0)->Arg(1)->Arg(2)->UseRealTime();

void log_append_durable(benchmark::State& state) {
  name_policy(state);
  scratch_file file;
  event_log log(kRetention);
  log.attach(file.path, options_of(state.range(0)));
  const std::string payload = make_payload(kPayload, 7);
  nanos t = 0;
  for (auto _ : state) {
    const event& e = log.append(++t, payload);
    benchmark::DoNotOptimize(&e);
  }
  if (log.file()->stats().appends != static_cast<std::uint64_t>(state.iterations()) ||
      log.file()->stats().write_errors != 0) {
    state.SkipWithError("the log's file lost appends");
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(log_append_durable)->ArgName("policy")->Arg(0)->Arg(1)->Arg(2)->UseRealTime();

}  // namespace
