// A short run's timeline for the "flow diagram" chart: each side records what happened when
// (event created, poll answered, webhook POST sent, event delivered) into a bounded buffer, writes
// its part as JSON lines at the end, and the orchestrator merges both parts into one file.
// Times are CLOCK_MONOTONIC, written as t_ms relative to the start of the measured window.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/event.hpp"
#include "measure/window.hpp"

namespace hookbench {

// Records per side; two sides keep a merged trace near 100k lines.
constexpr std::size_t kTraceRecordLimit = 50'000;

class trace_recorder {
 public:
  // `window` may become known later (the consumer learns it from the producer); records are
  // kept while it is unknown and filtered when written.
  explicit trace_recorder(const measurement_window& window, std::size_t limit = kTraceRecordLimit);

  void created(nanos scheduled_ns, seq_t seq);
  void poll(nanos sent_ns, nanos answered_ns, std::size_t subscriber, std::size_t events);
  void webhook_post(nanos sent_ns, seq_t seq, std::size_t subscriber);
  void delivered(nanos parsed_ns, seq_t seq, std::size_t subscriber, nanos latency_ns);

  // The part: a first line {"kind":"part","side":...,"records":N,"dropped":D}, then the records
  // inside the window, one JSON object per line. Returns false if the file cannot be written.
  bool write(const std::string& path, const std::string& side) const;
  std::uint64_t dropped() const { return dropped_; }

 private:
  enum class kind : std::uint8_t { created, poll, webhook_post, delivered };
  struct record {
    kind what;
    std::uint32_t subscriber;
    nanos t;          // when it happened (poll: when answered)
    nanos extra;      // poll: when sent; delivered: latency
    std::uint64_t n;  // seq, or events in a poll answer
  };
  void add(const record& r);

  const measurement_window& window_;
  std::size_t limit_;
  std::vector<record> records_;
  std::uint64_t dropped_ = 0;
};

// What the orchestrator knows about the traced run: becomes the header line.
struct trace_header {
  std::string mode;
  double rate = 0;
  double interval_ms = 0;  // written as null for push modes
  bool pull = true;
  std::size_t subscribers = 1;
  double duration_s = 0;
};

// Writes `out_path`: the header line, then every record of the parts sorted by t_ms (stable, so
// equal times keep each side's order). The header also carries "records" and "dropped" (records
// lost to the per-side limit). Throws std::runtime_error naming the file on failure.
void merge_trace(const trace_header& header, const std::vector<std::string>& part_paths,
                 const std::string& out_path);

}  // namespace hookbench
