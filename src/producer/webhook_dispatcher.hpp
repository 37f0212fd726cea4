// Webhook delivery: every event is POSTed to every registered subscriber, asynchronously, over
// a per-subscriber pool of keep-alive connections (or a new connection per delivery), at least
// once: a failed attempt (timeout, connection error, non-2xx) is tried again under the retry
// policy (producer/retry_policy.hpp), honouring Retry-After on 429 and 503; 410 Gone ends the
// subscription; a per-subscriber circuit breaker holds a failing receiver's deliveries; what
// exhausts its retries is a counted dead letter, never a silent drop. A POST, its bytes
// and its outcome count for the event it carried: for the window if that event is a window event,
// whenever the POST is sent (so a backlog that drains after the window is still counted).
// Every POST is signed as Standard Webhooks has it (security/signing.hpp) unless the scheme is
// none: webhook-id (msg_<subscription>_<seq>, or msg_<subscription>_<first>-<last> for a batch:
// a retry reuses it; the subscription binds the signature to its receiver),
// webhook-timestamp (when it is sent; a retry's is always later than its previous attempt's, at
// most a few seconds ahead of the clock, so a receiver tells it from a replay) and
// webhook-signature. With a state file the subscriptions and each one's delivered cursor survive
// a producer restart.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <deque>
#include <map>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "core/event.hpp"
#include "core/parse.hpp"
#include "http/client.hpp"
#include "producer/delivery.hpp"
#include "producer/retry_policy.hpp"
#include "producer/subscription_request.hpp"
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
  // A kept-alive connection idle this long is closed and leaves its subscriber's pool.
  nanos idle_timeout = 30 * kNanosPerSecond;
  // hmac: v1 with each subscription's secret; ed25519: v1a with the producer's key pair
  // (generated per process); none: no signature headers.
  security::signature_scheme signature = security::signature_scheme::hmac;
  http::tls_context tls;  // verifies https:// receivers; null: they are refused
  retry_options retry;    // standard, real time, +-10% jitter; breaker 10:5s; parallel
  // Subscriptions and each one's delivered cursor, rewritten atomically (empty: kept in memory
  // only). Restored, with every logged event past the cursor queued again, at construction.
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
  // POSTs sent once more on a fresh connection after a kept-alive one turned out closed
  // (http::client_connection::stale_resends): a reconnect, never a failure or a retry.
  std::uint64_t reconnects = 0;
  // Every failed attempt by what went wrong ("connection refused", "timed out", "HTTP 503"),
  // and those of events after the window (the unmeasured tail).
  std::map<std::string, std::uint64_t> failure_reasons, failure_reasons_after_window;
  std::uint64_t deleted = 0;    // subscriptions deleted by their owner
  std::uint64_t cancelled = 0;  // deliveries still queued for them then: counted, not sent
  std::uint64_t signed_posts = 0;
  nanos signing_ns = 0;              // time spent signing them (the producer's io thread)
  std::uint64_t tls_handshakes = 0;  // with https:// receivers, whole run
  // Retries. "window" ones carry window events (they are among `window`'s POSTs).
  traffic_counter retry_window;
  std::uint64_t retry_total = 0;
  std::uint64_t first_attempt_failures = 0;  // deliveries whose first attempt failed
  std::uint64_t recovered = 0;               // ... and later succeeded
  std::uint64_t retry_after_honoured = 0;    // retries held back by a Retry-After
  std::uint64_t retry_after_clamped = 0;     // ... of which cut to retry_after_max
  std::uint64_t gone_410 = 0;                // subscriptions ended by 410 Gone
  std::uint64_t circuit_opened = 0, circuit_closed = 0, circuit_probes = 0;
  // Dead letters count events (per subscriber), by reason: exhausted (out of attempts), gone
  // (410), queue-full (--webhook-queue), evicted (not in the log any more after a restart).
  std::map<std::string, std::uint64_t> dead_letters;
  std::uint64_t dead_letters_window = 0;  // of which window events
  std::vector<seq_t> dead_letter_seqs;    // the first few
  std::map<std::size_t, std::uint64_t> succeeded_on_attempt;
  std::uint64_t restored_subscriptions = 0, requeued_after_restart = 0;
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

  // Returns the subscription id. Without a secret one is generated. `owner`: owner_of's hash.
  std::size_t add_subscriber(http_url url, batch_policy batch = {},
                             std::optional<security::webhook_secret> secret = {},
                             std::string owner = {});
  // The subscription's secret ("whsec_...") and the producer's ed25519 public key ("whpk_...",
  // empty unless the scheme is ed25519).
  std::string secret_of(std::size_t id) const;
  std::string public_key() const;
  // Subscriptions not deleted (a deleted one is freed once its POSTs in flight have ended).
  std::size_t subscribers() const;
  void publish(const event& e);
  dispatcher_stats stats() const;
  // Writes the state file now (when there is one); also done on destruction. `durable`: flushed
  // to disk before the rename (subscribe, unsubscribe, 410); the 50 ms cursor updates are only
  // renamed into place, which a killed process cannot lose (the page cache keeps them) and an
  // OS crash can only set back (redeliveries, counted as duplicates, never losses). Returns
  // false, counted in state_errors and said once on stderr, when it cannot be written: the
  // producer keeps serving.
  bool save_state(bool durable = true);

 private:
  struct subscriber;  // both in webhook_subscriber.hpp
  struct delivery;

  // The subscriptions' routes (webhook_subscriptions.cpp).
  http::response subscribe(const http::request& req);
  http::response list(const http::request& req) const;
  http::response unsubscribe(const http::request& req, std::string_view id_text);
  // The owner a request's token stands for: HMAC-SHA256 of the token under owner_key_.
  std::string owner_of(const http::request& req) const;
  // Ends a subscription (deleted, or 410): its place under the caps is given back and its
  // connections closed now; it is freed once no POST of its is in flight.
  void retire(subscriber& s);
  void free_if_done(subscriber& s);
  // Counts its waiting deliveries out of the queue caps and forgets them.
  void forget_pending(subscriber& s);

  // Sending (webhook_dispatcher.cpp).
  void publish_to(subscriber& s, const event& e, const std::shared_ptr<const std::string>& body);
  void flush(subscriber& s);  // the open batch goes to the queue
  void enqueue(subscriber& s, delivery d);
  void pump(subscriber& s);
  // Connections a subscriber may hold at once: --webhook-concurrency, lowered (never below 1)
  // so that every subscriber's together stay inside the descriptors this process may open.
  std::size_t concurrency_limit();
  void arm_wake(subscriber& s, nanos at);
  void send(subscriber& s, delivery d, http::client_connection& c);
  // Adds webhook-id, webhook-timestamp (`ts`) and webhook-signature (unless the scheme is none).
  void sign(subscriber& s, http::client_request& req, seq_t first, seq_t last, std::int64_t ts);
  void on_success(subscriber& s, const delivery& d);
  void on_failure(subscriber& s, delivery d, const boost::system::error_code& ec,
                  const http::client_response& r);
  void dead_letter(subscriber& s, const delivery& d, const std::string& reason);
  void end_gone(subscriber& s);  // 410: everything still queued is a dead letter
  void resolve(subscriber& s, seq_t first);
  // Closes pooled connections idle past options_.idle_timeout (armed after each POST).
  void arm_idle_sweep();

  // The state file (webhook_state.cpp).
  void mark_dirty();
  // The key of owner_of: from owner.key beside the state file (made once, 0600), or random for
  // a producer without one.
  void load_owner_key();
  void restore_state();
  seq_t delivered_through(const subscriber& s) const;

  delivery_context ctx_;
  dispatcher_options options_;
  std::map<std::size_t, std::unique_ptr<subscriber>> subs_;  // live ones, by id
  std::size_t next_id_ = 0;                                  // ids are never reused
  std::size_t fd_budget_;                                    // outgoing_fd_budget() at construction
  std::size_t lowest_concurrency_ = 0;  // the least concurrency_limit() below the option's
  std::unique_ptr<boost::asio::steady_timer> idle_timer_;
  bool idle_armed_ = false;
  std::optional<security::ed25519_signer> ed25519_;  // the producer's key pair (ed25519 only)
  dispatcher_stats stats_;
  // Round trip (request written -> 2xx parsed) of every successful POST of a window event:
  // the plain HTTP exchange cost against this receiver, at the run's own pace.
  std::vector<nanos> round_trips_;
  std::vector<nanos> first_round_trips_;  // subscriber 0's: no fan-out queue ahead of them
  std::vector<nanos> recovery_;  // first attempt -> success, of window deliveries that failed
  std::mt19937_64 rng_{0x5eed};  // retry jitter
  bool first_failure_logged_ = false;
  bool dirty_ = false, state_timer_armed_ = false;
  // The newest webhook-timestamp signed (saved in the state file); after a restart no timestamp
  // goes below the saved one + 2, so a resent delivery reads as a retry, not as a replay.
  std::int64_t max_ts_ = 0, ts_floor_ = 0;
  std::uint64_t state_errors_ = 0;
  std::string owner_key_;
  std::unique_ptr<boost::asio::steady_timer> state_timer_;  // state file writes, 50 ms apart
};

}  // namespace hookbench
