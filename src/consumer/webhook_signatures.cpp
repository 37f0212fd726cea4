// Verifiers per subscriber and rejection counters for the webhook receivers.
#include "consumer/webhook_signatures.hpp"

#include <stdexcept>

#include "core/clock.hpp"

namespace hookbench {

webhook_signatures::webhook_signatures(security::signature_scheme scheme,
                                       security::verifier_options options)
    : scheme_(scheme), options_(options) {}

void webhook_signatures::add_subscriber(const nlohmann::json& registration) {
  std::lock_guard lock(mutex_);
  security::signature_verifier v(options_);
  auto text = [&](const char* key) {
    auto it = registration.find(key);
    if (it == registration.end() || !it->is_string()) {
      throw std::runtime_error(std::string("the producer's subscription answer has no \"") + key +
                               "\" (--signature " + std::string(security::to_string(scheme_)) +
                               " needs the producer to serve the same)");
    }
    return it->get<std::string>();
  };
  // A producer that signs otherwise (or not at all) would have every POST refused: say so now.
  if (auto it = registration.find("signature"); enabled() && it != registration.end() &&
                                                it->is_string() &&
                                                *it != security::to_string(scheme_)) {
    throw std::runtime_error(
        "the producer signs webhooks with " + it->get<std::string>() + ", this consumer verifies " +
        std::string(security::to_string(scheme_)) + " (give both the same --signature)");
  }
  try {
    if (scheme_ == security::signature_scheme::hmac) {
      v.add_secret(security::webhook_secret::parse(text("secret")));
    } else if (scheme_ == security::signature_scheme::ed25519) {
      v.add_public_key(security::ed25519_public_key::parse(text("public_key")));
    }
  } catch (const std::invalid_argument& e) {
    throw std::runtime_error(std::string("the producer's subscription answer: ") + e.what());
  }
  std::string prefix;
  if (auto id = registration.find("id");
      id != registration.end() && id->is_number_integer() && id->get<std::int64_t>() >= 0) {
    prefix = "msg_" + std::to_string(id->get<std::int64_t>()) + "_";
  }
  verifiers_.push_back(std::move(v));
  id_prefixes_.push_back(std::move(prefix));
}

security::reject_reason webhook_signatures::check(std::size_t k, std::string_view id,
                                                  std::string_view timestamp,
                                                  std::string_view signature,
                                                  std::string_view body) {
  if (!enabled()) return security::reject_reason::accepted;
  const std::int64_t now = unix_seconds();
  std::lock_guard lock(mutex_);
  // A subscriber not (yet) registered has no key: nothing it receives can verify.
  bool retry = false;
  auto r = security::reject_reason::bad_signature;
  if (k < verifiers_.size()) {
    // Refused before any verify: a cheap check, and the copy never enters the replay memory.
    r = id.starts_with(id_prefixes_[k]) || id.empty()
            ? verifiers_[k].verify(id, timestamp, signature, body, now, &retry)
            : security::reject_reason::wrong_subscription;
  }
  if (r != security::reject_reason::accepted) ++rejected_[r];
  if (retry) ++retries_;
  return r;
}

security::reject_reason webhook_signatures::check(std::size_t k, const http::request& req) {
  if (!enabled()) return security::reject_reason::accepted;
  return check(k, req.header("webhook-id"), req.header("webhook-timestamp"),
               req.header("webhook-signature"), req.body);
}

nlohmann::json webhook_signatures::rejected_by_reason() const {
  std::lock_guard lock(mutex_);
  nlohmann::json j = nlohmann::json::object();
  for (auto r : security::all_reject_reasons()) {
    auto it = rejected_.find(r);
    j[std::string(security::to_string(r))] = it == rejected_.end() ? 0 : it->second;
  }
  return j;
}

std::uint64_t webhook_signatures::rejected_total() const {
  std::lock_guard lock(mutex_);
  std::uint64_t n = 0;
  for (auto [r, count] : rejected_) n += count;
  return n;
}

std::uint64_t webhook_signatures::accepted_retries() const {
  std::lock_guard lock(mutex_);
  return retries_;
}

http::response signature_rejection(security::reject_reason reason) {
  return http::json_error(401, "signature: " + std::string(security::to_string(reason)));
}

}  // namespace hookbench
