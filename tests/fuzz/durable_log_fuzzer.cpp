// Fuzzes the event log file's loader (durable_log): whatever bytes a file holds, opening it
// hands over intact records only, seq 1, 2, ... without a gap, and cuts the file right after
// the last of them; appending then continues the sequence, and a second open reads back
// exactly what the first kept plus the append.
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "producer/durable_log.hpp"

namespace {

using namespace hookbench;

void check(bool ok) {
  if (!ok) std::abort();
}

const std::string& scratch_file() {
  static const std::string path = [] {
    const char* dir = std::getenv("TMPDIR");
    return std::string(dir && *dir ? dir : "/tmp") + "/hookbench-durable-fuzz-" +
           std::to_string(getpid()) + ".log";
  }();
  return path;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string& path = scratch_file();
  if (FILE* f = std::fopen(path.c_str(), "wb")) {
    if (size > 0) std::fwrite(data, 1, size, f);
    std::fclose(f);
  }
  seq_t loaded = 0;
  std::uintmax_t kept_bytes = 0;
  try {
    durable_options o;
    o.policy = fsync_policy::never;
    durable_log log(path, o, [&](event&& e) {
      check(e.seq == loaded + 1);
      loaded = e.seq;
    });
    check(log.last_seq() == loaded);
    const auto st = log.stats();
    check(st.loaded == loaded);
    kept_bytes = std::filesystem::file_size(path);
    check(kept_bytes + st.dropped_bytes == size);
    event e;
    e.seq = loaded + 1;
    e.created_ns = 1;
    e.payload = "x";
    check(log.append(e));
  } catch (const std::runtime_error&) {
    std::filesystem::remove(path);
    return 0;
  }
  seq_t again = 0;
  {
    durable_options o;
    o.policy = fsync_policy::never;
    durable_log log(path, o, [&](event&& e) { again = e.seq; });
    check(again == loaded + 1);
    check(log.stats().dropped_bytes == 0);
  }
  std::filesystem::remove(path);
  return 0;
}
