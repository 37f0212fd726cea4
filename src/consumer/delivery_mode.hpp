// A delivery mode is a strategy plugged into the consumer's shared machinery (tracker, window,
// report). Adding a mode = one new file pair + one line in delivery_mode.cpp's registry.
#pragma once

#include <boost/asio/io_context.hpp>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/parse.hpp"
#include "measure/delivery_tracker.hpp"
#include "measure/trace.hpp"
#include "measure/window.hpp"

namespace hookbench {

struct consumer_config {
  http_url producer;
  std::string mode = "poll";
  std::size_t subscribers = 1;
  nanos interval = 100 * kNanosPerMilli;  // poll modes
  std::size_t poll_limit = 1000;
  host_port listen{"127.0.0.1", 0};  // push modes: where the receiver listens
  std::string advertise_host;        // host put in webhook URLs (default: listen host)
  nanos request_timeout = 5 * kNanosPerSecond;
  nanos drain = 5 * kNanosPerSecond;
  nanos start_timeout = 60 * kNanosPerSecond;
  std::string trace_path;  // --trace: write this side's trace part before reporting

  nlohmann::json to_json() const;
};

// What every mode gets from the consumer.
struct mode_context {
  boost::asio::io_context& ioc;
  const consumer_config& config;
  delivery_tracker& tracker;
  const measurement_window& window;  // known once the producer started
  trace_recorder* trace = nullptr;   // set only when tracing (modes record polls into it)
};

class delivery_mode {
 public:
  virtual ~delivery_mode() = default;
  // Blocking set-up before the run (bind a receiver, register subscriptions). Throws
  // std::runtime_error with a message for the user.
  virtual void setup() = 0;
  // Begin receiving (asynchronously, on ctx.ioc).
  virtual void start() = 0;
  virtual void stop() = 0;
  // Requests and bytes this side sent/received inside the window, and mode-specific counters:
  // at least "requests", "bytes_sent", "bytes_received".
  virtual nlohmann::json stats() const = 0;
};

using mode_factory = std::function<std::unique_ptr<delivery_mode>(mode_context&)>;

struct mode_info {
  std::string name;
  std::string summary;
  bool pull;  // the consumer sends the requests (needs --interval)
  mode_factory make;
};
const std::vector<mode_info>& delivery_modes();
const mode_info* find_mode(std::string_view name);
std::string mode_names();  // "poll|webhook"

}  // namespace hookbench
