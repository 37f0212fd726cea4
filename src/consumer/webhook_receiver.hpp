// What every webhook receiver (Beast's webhook_mode, cpp-httplib's httplib_webhook_mode) shares:
// its registration with the producer (one subscription per subscriber), the route of a delivery
// (POST /hook/K), and the counts it keeps of the events it is given and reports.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string_view>

#include "consumer/consumer_config.hpp"
#include "consumer/webhook_signatures.hpp"
#include "http/message.hpp"
#include "measure/delivery_tracker.hpp"

namespace hookbench {

// Registers one subscription per subscriber (POST /subscriptions {"url": ".../hook/K"}, with
// --batch-window/--batch-max when `batch`) for the receiver listening on `port`, advertised as
// the config says, and keys `signatures` from each answer. Throws std::runtime_error when the
// producer cannot be reached or refuses one.
void register_subscriptions(const consumer_config& cfg, std::uint16_t port, bool batch,
                            webhook_signatures& signatures);

// Where a request to the receiver goes: the subscriber K of a POST to /hook/K, or the answer
// that refuses it (404 for another path or an unknown K, 405 with Allow: POST for another
// method).
struct hook_route {
  std::size_t subscriber = 0;
  std::optional<http::response> refusal;
};
hook_route route_hook(const std::string& path, std::string_view method, std::size_t subscribers);

// The receiver's counts of what it was given, the same on every stack.
struct receiver_counts {
  std::uint64_t received = 0;  // what a receiver counts as received (a POST, or an event)
  std::uint64_t duplicates = 0, malformed = 0, out_of_range = 0;
  std::uint64_t outside_window = 0, before_window = 0;
  std::map<unsigned, std::uint64_t> rejected;  // answers of 400 and above, by status

  // Counts the tracker's verdict on one event; false for out_of_range (left to the caller).
  bool count(delivery_tracker::outcome outcome);
  // The fields every receiver reports, its signature checks included.
  nlohmann::json to_json(const webhook_signatures& signatures) const;
};

}  // namespace hookbench
