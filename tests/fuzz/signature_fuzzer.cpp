// Fuzzes what an outsider controls on a signed webhook: the webhook-id, webhook-timestamp and
// webhook-signature headers and the body (the input split at its first three newlines), plus
// the key texts (whsec_/whpk_) and base64. Each call must return a verdict or throw
// std::invalid_argument, never anything else; an input the fuzzer did not sign must never be
// accepted; the same fields signed with the key must be accepted once, then be a replay; and
// signed again with a newer timestamp (a retry) accepted once more, as a retry.
#include <cstdint>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <string_view>

#include "security/signing.hpp"

namespace {

using namespace hookbench::security;

void check(bool ok) {
  if (!ok) std::abort();
}

constexpr std::int64_t kNow = 1'700'000'000;

const webhook_secret& secret() {
  static const webhook_secret s = webhook_secret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
  return s;
}

ed25519_signer& ed_signer() {
  static ed25519_signer s = ed25519_signer::generate();
  return s;
}

// The next field up to '\n' (the rest when there is none).
std::string_view take(std::string_view& in) {
  const auto nl = in.find('\n');
  auto field = in.substr(0, nl);
  in.remove_prefix(nl == std::string_view::npos ? in.size() : nl + 1);
  return field;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  const std::string_view whole = in;

  // Base64 round trip: whatever decodes re-encodes to the same text.
  if (auto raw = base64_decode(whole)) check(base64_encode(*raw) == whole);
  // Key texts: a parse either gives a key that prints back as read, or throws invalid_argument.
  try {
    const auto s = webhook_secret::parse(whole);
    check(s.to_string() == whole);
  } catch (const std::invalid_argument&) {
  }
  try {
    const auto k = ed25519_public_key::parse(whole);
    check(k.to_string() == whole);
  } catch (const std::invalid_argument&) {
  }

  const auto id = take(in);
  const auto timestamp = take(in);
  const auto signature = take(in);
  const auto body = in;

  signature_verifier v({300, 64});
  v.add_secret(secret());
  v.add_public_key(ed_signer().public_key());
  const auto verdict = v.verify(id, timestamp, signature, body, kNow);
  // Accepting what the fuzzer made up would be a forgery: the input must carry a real
  // signature over exactly these fields, which we recompute to tell.
  if (verdict == reject_reason::accepted) {
    const std::int64_t ts = std::stoll(std::string(timestamp));
    hmac_signer h(secret());
    const std::string hmac_sig = h.sign(id, ts, body);
    const std::string ed_sig = ed_signer().sign(id, ts, body);
    check(signature.find(hmac_sig) != std::string_view::npos ||
          signature.find(ed_sig) != std::string_view::npos);
  }

  // The same fields, signed properly at the current time: accepted once, then a replay.
  if (!id.empty() && id.size() < 256) {
    signature_verifier fresh({300, 64});
    fresh.add_secret(secret());
    hmac_signer h(secret());
    const std::string ts = std::to_string(kNow);
    const std::string good = h.sign(id, kNow, body);
    check(fresh.verify(id, ts, good, body, kNow) == reject_reason::accepted);
    check(fresh.verify(id, ts, good, body, kNow) == reject_reason::replay);
    // A retry: the same id signed afresh with a newer timestamp is accepted (as a retry) once;
    // replaying it, or the older attempt, is not.
    const std::string later = std::to_string(kNow + 1);
    const std::string resigned = h.sign(id, kNow + 1, body);
    bool retry = false;
    check(fresh.verify(id, later, resigned, body, kNow, &retry) == reject_reason::accepted);
    check(retry);
    check(fresh.verify(id, later, resigned, body, kNow, &retry) == reject_reason::replay);
    check(!retry);
    check(fresh.verify(id, ts, good, body, kNow) == reject_reason::replay);
    // Rotation: an unknown signature beside the good one still verifies (a new id).
    const std::string other_id = std::string(id) + "-2";
    const std::string two = "v1,AAAA " + h.sign(other_id, kNow, body);
    check(fresh.verify(other_id, ts, two, body, kNow) == reject_reason::accepted);
  }
  return 0;
}
