// The webhook dispatcher's internals, shared by the three files that define it: a subscriber
// (its URL, secret, queues, breaker and connection pool) and one delivery in its queues. Only
// webhook_dispatcher.cpp (sending), webhook_subscriptions.cpp and webhook_state.cpp include it.
#pragma once

#include <boost/asio/steady_timer.hpp>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "http/client.hpp"
#include "producer/holdings.hpp"
#include "producer/webhook_dispatcher.hpp"
#include "security/signing.hpp"

namespace hookbench {

// One delivery: an event (or a batch) for one subscriber, until it is acknowledged, dead-lettered
// or cancelled.
struct webhook_dispatcher::delivery {
  seq_t seq = 0;  // the (first) event it carries: the POST counts for that event's window
  seq_t last = 0;
  std::shared_ptr<const std::string> body;
  std::size_t events = 1;
  std::size_t event_bytes = 0;
  std::size_t attempts = 0;  // made so far
  nanos first_attempt = 0;   // when the first left
  std::int64_t last_ts = 0;  // webhook-timestamp of the previous attempt
};

struct webhook_dispatcher::subscriber {
  std::size_t id = 0;
  http_url url;
  std::string owner;  // keyed hash (owner_of) of the bearer token that registered it
  // The registering peer's address: deliveries reach loopback only for a peer on loopback.
  std::string peer;
  bool active = true;
  bool gone = false;       // ended by a 410
  bool freeing = false;    // ended, and its erasure posted
  holdings::holding held;  // its place under the subscription caps
  std::optional<security::webhook_secret> secret;
  std::optional<security::hmac_signer> hmac;  // keyed with `secret` (hmac scheme)
  std::deque<delivery> queue;                 // ready to send
  std::multimap<nanos, delivery> retries;     // waiting for their next attempt, by due time
  std::size_t in_flight = 0;
  // Nothing is sent before this: a Retry-After, or the open breaker's cool-down.
  nanos hold_until = 0;
  enum class circuit { closed, open, half_open } state = circuit::closed;
  std::size_t consecutive_failures = 0;
  bool probe_in_flight = false;
  std::unique_ptr<boost::asio::steady_timer> wake;  // the next due retry or the hold's end
  nanos wake_at = 0;                                // 0: not armed
  std::multiset<seq_t> outstanding;                 // first seqs of deliveries not yet resolved
  seq_t last_published = 0;                         // newest event given to it
  batch_policy batch;
  std::string open_batch;  // the open batch's events, comma-separated JSON
  seq_t open_first = 0, open_last = 0;
  std::size_t open_events = 0, open_event_bytes = 0;
  std::unique_ptr<boost::asio::steady_timer> batch_timer;
  std::vector<std::unique_ptr<http::client_connection>> pool;

  // Ended (deleted, or 410 Gone): no timer fires for it any more.
  void deactivate() {
    active = false;
    if (batch_timer) batch_timer->cancel();
    if (wake) wake->cancel();
  }
  // Forgets every delivery still waiting, once the caller has counted them.
  void clear_pending() {
    queue.clear();
    retries.clear();
    outstanding.clear();
    open_batch.clear();
    open_events = open_event_bytes = 0;
  }
};

}  // namespace hookbench
