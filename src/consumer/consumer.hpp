// The consumer ("the client app"): one delivery mode's subscribers plus the shared machinery:
// RTT probe and clock offset to the producer, learning the window from the producer, CPU at the
// window's edges, the drain, and the report.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "consumer/delivery_mode.hpp"
#include "http/client.hpp"
#include "measure/clock_sync.hpp"
#include "measure/resources.hpp"

namespace hookbench {

class consumer {
 public:
  consumer(boost::asio::io_context& ioc, consumer_config config);
  ~consumer();

  // Blocking: measures RTT and the clock offset to the producer and sets the mode up. Throws
  // std::runtime_error.
  void setup();
  // Starts receiving and following the producer's window; ends with on_done or on_error.
  void start();
  std::function<void(nlohmann::json report)> on_done;
  std::function<void(std::string error)> on_error;
  // Port of the push receiver (0 for pull modes).
  std::uint16_t receiver_port() const;
  nlohmann::json report();  // with "faults" (measure/fault_metrics.hpp) when faults were given

 private:
  void fetch_plan();
  void measure_idle(nanos d);
  void control_get(const char* target, std::function<void(const nlohmann::json&)> next);
  void wait_for_start();
  void on_window(const nlohmann::json& w);
  void wait_for_final();
  void drain_check();
  // With receiver-slow, the drain does not end when every event is in: the sender's retries
  // of the POSTs that timed out are still to come (drain_check).
  bool waits_for_retries() const;
  void finish();
  void arm_at(boost::asio::steady_timer& t, nanos at, std::function<void()> fn);
  void measure_clock_after();
  bool write_slots() const;  // --slots  // after the drain, on control_; then finish() again
  nlohmann::json clock_report() const;
  nlohmann::json base_report();
  nanos setup_ns_ = 0;  // mode_->start(): registrations, first connections

  boost::asio::io_context& ioc_;
  consumer_config config_;
  const mode_descriptor* info_;
  delivery_tracker tracker_;
  measurement_window window_;
  mode_context ctx_;
  std::unique_ptr<trace_recorder> trace_;  // only when tracing
  std::unique_ptr<delivery_mode> mode_;
  std::unique_ptr<http::client_connection> control_;
  boost::asio::steady_timer control_timer_, cpu_timer_, drain_timer_;
  nanos start_deadline_ = 0, drain_deadline_ = 0, drained_at_ = 0;
  nanos unreachable_since_ = 0;        // the first of the control requests failing in a row
  std::uint64_t control_retries_ = 0;  // control requests tried again (the producer was away)
  cpu_window cpu_;
  bool done_ = false;
  double idle_cores_ = -1;  // < 0: not measured
  seq_t planned_first_ = 1, planned_last_ = 0;
  std::string window_mismatch_;  // the producer generated other seqs than it planned
  double rtt_min_us_ = 0, rtt_p50_us_ = 0;
  // Producer clock = local + offset. `before` (from setup's probe) converts everything; `after`
  // (after the drain) shows the drift over the run.
  clock_estimate clock_before_{};
  std::optional<clock_estimate> clock_after_;
  std::string clock_after_error_;
  bool clock_after_measured_ = false;  // tried, whatever the outcome
};

}  // namespace hookbench
