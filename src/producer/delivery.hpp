// The producer's side of a delivery design: one unit per way events leave the producer (the
// poll endpoint, the webhook dispatcher, event streams). The producer tells every delivery of
// each new event, offers it each request, and asks it for its report. Adding a way to deliver
// is one class that implements this plus one line in producer.cpp.
#pragma once

#include <boost/asio/io_context.hpp>
#include <cstddef>
#include <nlohmann/json.hpp>
#include <string_view>

#include "core/event.hpp"
#include "http/server.hpp"
#include "measure/trace.hpp"
#include "measure/traffic.hpp"
#include "measure/window.hpp"
#include "producer/access.hpp"
#include "producer/event_log.hpp"
#include "producer/generator.hpp"
#include "producer/holdings.hpp"

namespace hookbench {

// What every delivery gets from the producer.
struct delivery_context {
  boost::asio::io_context& ioc;
  const event_log& log;
  const measurement_window& window;       // by time: known once generation started
  planned_sequence plan;                  // the window's seqs, known before it starts
  trace_recorder* trace = nullptr;        // only when tracing
  const access_policy* access = nullptr;  // tokens and webhook targets (producer/access.hpp)
  holdings* caps = nullptr;               // what each token holds open, and the caps on it

  // The API token a request carries: the owner of what it opens ("" without an access policy).
  std::string owner(const http::request& req) const {
    return access ? access->owner(req) : std::string();
  }

  // Work for a window event counts for the window, whenever it is done.
  bool counts(seq_t seq) const { return seq >= plan.window_first && seq <= plan.window_last; }
};

// The window's exchanges, all their bytes (both directions) and the events they carried with
// those events' bytes: what the bytes model needs ("wire" in a delivery's report).
inline nlohmann::json wire_json(std::uint64_t exchanges, std::uint64_t bytes, std::uint64_t events,
                                std::uint64_t event_bytes) {
  return {
      {"exchanges", exchanges}, {"bytes", bytes}, {"events", events}, {"event_bytes", event_bytes}};
}

class producer_delivery {
 public:
  virtual ~producer_delivery() = default;
  // Its key in the producer's report ("polls", "webhooks", ...).
  virtual std::string_view name() const = 0;
  // Takes the request when it is on one of its routes (then replies, now or later).
  virtual bool handle(http::request& req, http::reply_fn& reply) = 0;
  // A new event was appended to the log.
  virtual void on_event(const event&) {}
  // An exchange on the producer's server ended: the delivery counts those on its routes.
  virtual void observe(const http::exchange&) {}
  // Deliveries queued or in flight (read at the window's end: the backlog left behind).
  virtual std::size_t pending() const { return 0; }
  // Requests this side sent, by kind, for the window.
  virtual traffic_by_kind requests() const { return {}; }
  // Bytes this side put on / took off the wire for the window, all its exchanges.
  virtual traffic_counter bytes() const = 0;
  virtual nlohmann::json report() const = 0;
};

}  // namespace hookbench
