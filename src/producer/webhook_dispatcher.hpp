// Webhook delivery: every event is POSTed to every registered subscriber, asynchronously, over
// a per-subscriber pool of keep-alive connections (or a new connection per delivery). A non-2xx
// answer, a timeout or a full queue is a counted failure, never a silent drop. A POST, its bytes
// and its outcome count for the event it carried: for the window if that event is a window event,
// whenever the POST is sent (so a backlog that drains after the window is still counted).
// Every POST is signed as Standard Webhooks has it (security/signing.hpp) unless the scheme is
// none: webhook-id (msg_<seq>, or msg_<first>-<last> for a batch: stable, so a retry could reuse
// it), webhook-timestamp (when it is sent) and webhook-signature.
#pragma once

#include <boost/asio/io_context.hpp>
#include <deque>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/event.hpp"
#include "core/parse.hpp"
#include "http/client.hpp"
#include "producer/delivery.hpp"
#include "security/signing.hpp"

namespace hookbench {

enum class connection_policy { keepalive, fresh };
connection_policy parse_connection_policy(std::string_view text);  // throws usage_error
std::string to_string(connection_policy policy);

struct dispatcher_options {
  connection_policy connections = connection_policy::keepalive;
  std::size_t concurrency = 4;          // connections per subscriber
  nanos timeout = 5 * kNanosPerSecond;  // per delivery
  std::size_t queue_limit = 1'000'000;  // pending deliveries per subscriber
  // hmac: v1 with each subscription's secret; ed25519: v1a with the producer's key pair
  // (generated per process); none: no signature headers.
  security::signature_scheme signature = security::signature_scheme::hmac;
  http::tls_context tls;  // verifies https:// receivers; null: they are refused
  // Subscriptions and delivered cursors kept here for a producer restart (empty = off). Added by
  // RESTART as the agreed interface; the RETRY branch implements it.
  std::string state_path;
};

struct dispatcher_stats {
  traffic_counter window;                // POSTs carrying window events, with their bytes
  std::uint64_t window_body_bytes = 0;   // of which request bodies (the events themselves)
  std::uint64_t window_events = 0;       // events those POSTs carried (more in a batch)
  std::uint64_t window_event_bytes = 0;  // the events' own bytes (bodies less any envelope)
  std::uint64_t posts_total = 0;
  std::uint64_t delivered_total = 0;  // 2xx answers
  std::uint64_t failed_window = 0;    // failures among POSTs carrying window events
  std::uint64_t non_2xx = 0, timeouts = 0, errors = 0, queue_overflow = 0;
  std::uint64_t connections_opened = 0;
  std::uint64_t deleted = 0;    // subscriptions deleted by their owner
  std::uint64_t cancelled = 0;  // deliveries still queued for them then: counted, not sent
  std::uint64_t signed_posts = 0;
  nanos signing_ns = 0;              // time spent signing them (the producer's io thread)
  std::uint64_t tls_handshakes = 0;  // with https:// receivers, whole run
};

// Batching, asked per subscription: events wait until `window` after the batch's first, or until
// `max` are in it, then go in one POST as {"events":[...],"next":SEQ} (the poll answer's form).
struct batch_policy {
  nanos window = 0;  // 0: one POST per event
  std::size_t max = 1;
};

// POST /subscriptions {"url": ..., "batch_window_ms": W, "batch_max": M, "secret": "whsec_..."}
// registers a receiver (batching and secret optional: without one the producer generates it);
// every event is then POSTed to it. The 201 answer carries "secret", "signature" (the scheme)
// and, with ed25519, "public_key" ("whpk_..."). GET /subscriptions lists the caller's
// (its bearer token's) subscriptions, DELETE /subscriptions/ID ends one; others' are not found.
// Targets and the number per token are checked by the producer's access_policy.
class webhook_dispatcher : public producer_delivery {
 public:
  webhook_dispatcher(delivery_context ctx, dispatcher_options options);
  ~webhook_dispatcher() override;

  std::string_view name() const override { return "webhooks"; }
  bool handle(http::request& req, http::reply_fn& reply) override;
  void on_event(const event& e) override { publish(e); }
  std::size_t pending() const override;
  traffic_by_kind requests() const override;
  traffic_counter bytes() const override { return stats_.window; }
  nlohmann::json report() const override;

  // Returns the subscription id. Without a secret one is generated.
  std::size_t add_subscriber(http_url url, batch_policy batch = {},
                             std::optional<security::webhook_secret> secret = {},
                             std::string owner = {});
  // The subscription's secret ("whsec_...") and the producer's ed25519 public key ("whpk_...",
  // empty unless the scheme is ed25519).
  std::string secret_of(std::size_t id) const;
  std::string public_key() const;
  // Subscriptions not deleted.
  std::size_t subscribers() const;
  void publish(const event& e);
  dispatcher_stats stats() const;

 private:
  struct subscriber;
  void pump(subscriber& s);
  void flush(subscriber& s);  // the open batch goes to the queue
  http::response subscribe(const http::request& req);
  http::response list(const http::request& req) const;
  http::response unsubscribe(const http::request& req, std::string_view id_text);
  std::size_t owned_by(const std::string& owner) const;
  // Adds webhook-id, webhook-timestamp and webhook-signature (unless the scheme is none).
  void sign(subscriber& s, http::client_request& req, seq_t first, seq_t last);

  delivery_context ctx_;
  dispatcher_options options_;
  std::vector<std::unique_ptr<subscriber>> subs_;
  std::optional<security::ed25519_signer> ed25519_;  // the producer's key pair (ed25519 only)
  dispatcher_stats stats_;
  // Round trip (request written -> 2xx parsed) of every successful POST of a window event:
  // the plain HTTP exchange cost against this receiver, at the run's own pace.
  std::vector<nanos> round_trips_;
  std::vector<nanos> first_round_trips_;  // subscriber 0's: no fan-out queue ahead of them
  bool first_failure_logged_ = false;
};

}  // namespace hookbench
