// Option definitions shared by serve and run.
#include "producer/producer_options.hpp"

#include "core/cli.hpp"
#include "core/parse.hpp"

namespace hookbench {

void add_retention_option(option_parser& p, std::size_t& retention) {
  p.add("--retention", "EVENTS", "events the producer keeps for pollers; older cursors get 410",
        "100000", [&retention](std::string_view v) {
          retention = static_cast<std::size_t>(parse_int(v, 1, 100'000'000));
        });
}

void add_webhook_connection_options(option_parser& p, dispatcher_options& webhooks) {
  p.add("--webhook-connection", "POLICY",
        "webhooks: keepalive (a pool per subscriber) or new (a connection per POST)", "keepalive",
        [&webhooks](std::string_view v) { webhooks.connections = parse_connection_policy(v); })
      .add("--webhook-concurrency", "N", "webhooks: connections (POSTs in flight) per subscriber",
           "4", [&webhooks](std::string_view v) {
             webhooks.concurrency = static_cast<std::size_t>(parse_int(v, 1, 1024));
           });
}

void add_stream_lifetime_option(option_parser& p, nanos& lifetime) {
  p.add("--stream-lifetime", "DURATION",
        "the producer closes each event stream after this long; readers\n"
        "                            reconnect and resume (sse, websocket; 0 = never)",
        "0s", [&lifetime](std::string_view v) { lifetime = parse_duration(v); });
}

}  // namespace hookbench
