// The options of the producer's parts that `serve` and `run` both take: each defined once, here,
// and read the same way from a flag or from a --config document.
#pragma once

#include <cstddef>

#include "core/clock.hpp"
#include "producer/webhook_dispatcher.hpp"

namespace hookbench {

class option_parser;

// --retention: events the log keeps for pollers.
void add_retention_option(option_parser& p, std::size_t& retention);
// --webhook-connection (keepalive or new) and --webhook-concurrency.
void add_webhook_connection_options(option_parser& p, dispatcher_options& webhooks);
// --stream-lifetime: the producer closes each event stream this often (0 = never).
void add_stream_lifetime_option(option_parser& p, nanos& lifetime);

}  // namespace hookbench
