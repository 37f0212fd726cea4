// The receiver's side of signed webhooks, shared by every webhook receiver (Beast, cpp-httplib):
// one signature_verifier per subscriber, keyed from the producer's 201 answer, and the count of
// rejected POSTs by reason. A rejected POST is answered 401 and never reaches the tracker.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string_view>
#include <vector>

#include "http/message.hpp"
#include "security/signing.hpp"

namespace hookbench {

class webhook_signatures {
 public:
  explicit webhook_signatures(security::signature_scheme scheme,
                              security::verifier_options options = {});
  security::signature_scheme scheme() const { return scheme_; }
  bool enabled() const { return scheme_ != security::signature_scheme::none; }

  // Keys the next subscriber's verifier from its registration answer: "secret" (hmac) or
  // "public_key" (ed25519), and binds it to the answer's "id": a POST whose webhook-id is not
  // msg_<id>_... belongs to another subscription (with ed25519 every subscription shares the
  // producer's key, so only the id tells a copy replayed across subscriptions). Throws
  // std::runtime_error naming what the answer lacks.
  void add_subscriber(const nlohmann::json& registration);

  // The verdict on one POST to subscriber k (accepted when signatures are off); a rejection is
  // counted, and so is an accepted retry (an id seen before, a newer timestamp: the sender
  // tried again; the tracker counts its events as duplicates). Thread-safe (the cpp-httplib
  // receiver calls it from its pool).
  security::reject_reason check(std::size_t k, std::string_view id, std::string_view timestamp,
                                std::string_view signature, std::string_view body);
  // The same from a Beast request's headers.
  security::reject_reason check(std::size_t k, const http::request& req);

  // {"missing-header": n, ...}: every reason, zeros included.
  nlohmann::json rejected_by_reason() const;
  std::uint64_t rejected_total() const;
  std::uint64_t accepted_retries() const;

 private:
  const security::signature_scheme scheme_;
  const security::verifier_options options_;
  mutable std::mutex mutex_;
  std::vector<security::signature_verifier> verifiers_;
  std::vector<std::string> id_prefixes_;  // "msg_<subscription>_" per subscriber; empty: any
  std::map<security::reject_reason, std::uint64_t> rejected_;
  std::uint64_t retries_ = 0;
};

// 401 {"error":"signature: <reason>"}.
http::response signature_rejection(security::reject_reason reason);

}  // namespace hookbench
