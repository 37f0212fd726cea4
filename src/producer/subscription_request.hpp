// What a POST /subscriptions body asks for, checked field by field before anything is
// registered: the URL (printable ASCII, no user@, http:// or https://), batching and the secret.
// Apart from the dispatcher so that it can be tested and fuzzed on its own.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "core/clock.hpp"
#include "core/parse.hpp"
#include "security/signing.hpp"

namespace hookbench {

// Batching, asked per subscription: events wait until `window` after the batch's first, or until
// `max` are in it, then go in one POST as {"events":[...],"next":SEQ} (the poll answer's form).
struct batch_policy {
  nanos window = 0;  // 0: one POST per event
  std::size_t max = 1;
};

struct subscription_request {
  http_url url;
  batch_policy batch;
  std::optional<security::webhook_secret> secret;  // none: the producer generates one
};

// The request, or the refusal: `status` 400 or 415 and a one-line `error`.
struct parsed_subscription {
  std::optional<subscription_request> request;
  unsigned status = 0;
  std::string error;
};

// {"url": ..., "batch_window_ms": 1..60000, "batch_max": 1..10000, "secret": "whsec_..."}
// with the request's Content-Type (empty or application/json).
parsed_subscription parse_subscription(std::string_view content_type, std::string_view body);

}  // namespace hookbench
