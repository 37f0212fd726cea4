// The webhook state file's contents (DIR/webhooks.json) as plain values: read and checked
// here, field by field, before the dispatcher rebuilds anything from them, so that a damaged or
// hostile file is refused with a reason (and can be fuzzed without a dispatcher).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/event.hpp"
#include "core/parse.hpp"
#include "producer/subscription_request.hpp"
#include "security/signing.hpp"

namespace hookbench {

struct saved_subscription {
  std::size_t id = 0;  // increasing (ended subscriptions leave gaps)
  http_url url;
  std::string owner;  // keyed hash of the owner's token (empty: none)
  std::string peer;   // the registering peer's address (empty: unknown)
  std::optional<security::webhook_secret> secret;
  batch_policy batch;
  bool active = true, gone = false;  // files from before ended ones were dropped list them
  seq_t delivered_through = 0;
};

struct saved_webhook_state {
  std::int64_t max_timestamp = 0;
  std::size_t next_id = 0;         // the next id to give: ids are never reused
  std::string ed25519_secret_key;  // "whsk_...", with --signature ed25519
  std::vector<saved_subscription> subscriptions;
};

// Reads `text`, written for `scheme`. A file from before owners were hashed names the token:
// `hash_owner` turns it into its hash. Throws std::runtime_error with a one-line reason.
saved_webhook_state parse_webhook_state(
    std::string_view text, security::signature_scheme scheme,
    const std::function<std::string(std::string_view token)>& hash_owner);

}  // namespace hookbench
