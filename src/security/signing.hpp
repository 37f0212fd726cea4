// Signed webhooks as the Standard Webhooks spec has them (github.com/standard-webhooks): the
// producer signs "id.timestamp.body" with HMAC-SHA256 ("v1,") or ed25519 ("v1a,"); a receiver
// checks headers, timestamp tolerance, signature and replays, and names why it refused a POST.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace hookbench::security {

// --- base64, standard alphabet with padding (RFC 4648 section 4) -------------------------------
std::string base64_encode(std::string_view bytes);
// nullopt unless `text` is canonical base64: a multiple of 4 characters from the alphabet, at
// most two '=' and only at the end, no bits set past the last byte.
std::optional<std::string> base64_decode(std::string_view text);

// What a webhook signature scheme a run uses: "hmac" (v1), "ed25519" (v1a) or "none".
enum class signature_scheme { hmac, ed25519, none };
signature_scheme parse_signature_scheme(std::string_view text);  // throws std::invalid_argument
std::string_view to_string(signature_scheme scheme);

// The shared secret of one subscription: "whsec_" + base64 of 24 to 64 random bytes.
class webhook_secret {
 public:
  // Throws std::invalid_argument with a one-line reason (prefix, base64, length).
  static webhook_secret parse(std::string_view text);
  static webhook_secret generate(std::size_t bytes = 32);  // OpenSSL's CSPRNG; 24..64 bytes
  const std::string& key() const { return key_; }          // the raw HMAC key
  std::string to_string() const;                           // "whsec_<base64>"

 private:
  // Copies: moving a std::string here trips GCC 12's -Warray-bounds (a false positive).
  explicit webhook_secret(std::string_view key) : key_(key.data(), key.size()) {}
  std::string key_;
};

// "id.timestamp.body": the bytes every scheme signs.
std::string signed_content(std::string_view id, std::int64_t timestamp, std::string_view body);

namespace detail {
struct mac_ctx_deleter {
  void operator()(void* p) const;
};
struct pkey_deleter {
  void operator()(void* p) const;
};
struct md_ctx_deleter {
  void operator()(void* p) const;
};
}  // namespace detail

// HMAC-SHA256 keyed once; the OpenSSL context is reused for every message (not thread-safe).
class hmac_signer {
 public:
  explicit hmac_signer(const webhook_secret& secret);
  hmac_signer(hmac_signer&&) noexcept = default;
  hmac_signer& operator=(hmac_signer&&) noexcept = default;
  // The raw 32-byte MAC of id.timestamp.body (streamed: the content is never copied).
  std::string mac(std::string_view id, std::int64_t timestamp, std::string_view body);
  // "v1,<base64 mac>"
  std::string sign(std::string_view id, std::int64_t timestamp, std::string_view body);

 private:
  std::unique_ptr<void, detail::mac_ctx_deleter> ctx_;
};

// An ed25519 public key: "whpk_" + base64 of the raw 32 bytes.
class ed25519_public_key {
 public:
  static ed25519_public_key parse(std::string_view text);  // throws std::invalid_argument
  static ed25519_public_key from_raw(std::string_view raw32);
  std::string to_string() const;
  // The 64-byte signature over id.timestamp.body.
  bool verify(std::string_view id, std::int64_t timestamp, std::string_view body,
              std::string_view signature) const;
  // The same over signed_content() built once by the caller (a receiver with several keys or
  // entries should not copy the body for each).
  bool verify_content(std::string_view content, std::string_view signature) const;
  ed25519_public_key() = default;  // empty: verifies nothing

 private:
  std::shared_ptr<void> pkey_;  // EVP_PKEY, immutable once built: shared by copies
  std::string raw_;
};

// An ed25519 key pair; the secret key's text is "whsk_" + base64 of the raw 32-byte seed.
class ed25519_signer {
 public:
  static ed25519_signer generate();
  static ed25519_signer parse(std::string_view whsk);  // throws std::invalid_argument
  ed25519_signer(ed25519_signer&&) noexcept = default;
  ed25519_signer& operator=(ed25519_signer&&) noexcept = default;
  std::string secret_key_string() const;  // "whsk_..."
  const ed25519_public_key& public_key() const { return public_; }
  std::string signature(std::string_view id, std::int64_t timestamp,
                        std::string_view body);  // raw 64 bytes
  // "v1a,<base64 signature>"
  std::string sign(std::string_view id, std::int64_t timestamp, std::string_view body);

 private:
  ed25519_signer() = default;
  std::unique_ptr<void, detail::pkey_deleter> pkey_;
  std::unique_ptr<void, detail::md_ctx_deleter> md_;  // reused across messages
  ed25519_public_key public_;
};

// Why a receiver refused a POST (or `accepted`). Checked in this order: headers, timestamp,
// signature, replay.
enum class reject_reason {
  accepted,
  missing_header,       // webhook-id, webhook-timestamp or webhook-signature absent or empty
  malformed_timestamp,  // not a decimal Unix time in seconds
  timestamp_too_old,    // older than now - tolerance
  timestamp_too_new,    // newer than now + tolerance
  malformed_signature,  // no well-formed v1,/v1a, entry
  too_many_signatures,  // more than kMaxSignatureEntries entries: refused before any is checked
  bad_signature,        // well-formed entries, none verifies with any key
  replay,               // this webhook-id was already accepted with this timestamp or a newer
                        // one, inside the tolerance (a newer timestamp is a sender's retry)
  replay_memory_full,   // valid, but the memory holds `capacity` unexpired ids (fail closed)
  wrong_subscription,   // the webhook-id names another subscription (msg_<subscription>_...)
};
std::string_view to_string(reject_reason reason);
// Every reason but `accepted`, in enum order (for counters that list all of them).
const std::vector<reject_reason>& all_reject_reasons();

// Entries a webhook-signature header may hold: a sender signs once, or a few times while it
// rotates keys. More are refused unchecked, so a header full of entries costs no verification.
inline constexpr std::size_t kMaxSignatureEntries = 8;

struct verifier_options {
  std::int64_t tolerance_s = 300;  // both directions
  // Ids remembered at most. An id is forgotten once its timestamp falls out of the tolerance
  // (the timestamp check rejects it from then on). When the memory is full of unexpired ids a
  // valid POST is refused as replay_memory_full: forgetting an id early would open a window in
  // which its replay is accepted; a full memory is counted, never a silent hole.
  std::size_t replay_capacity = 1 << 20;
};

// Verifies deliveries for one subscription. Keys are tried in turn, so a secret is rotated by
// adding the new one beside the old. Not thread-safe (it keeps OpenSSL contexts and the memory).
class signature_verifier {
 public:
  explicit signature_verifier(verifier_options options = {});
  void add_secret(const webhook_secret& secret);
  void add_public_key(const ed25519_public_key& key);
  std::size_t keys() const { return hmac_.size() + public_keys_.size(); }

  // A valid POST whose id was accepted before with an older timestamp is a retry (Standard
  // Webhooks: a retry keeps its webhook-id and is signed afresh): accepted, `*retry` set, so
  // the receiver answers 2xx and deduplicates it; the same id with the same (or an older)
  // timestamp is a replay of a POST already seen, refused.
  reject_reason verify(std::string_view id, std::string_view timestamp_header,
                       std::string_view signature_header, std::string_view body,
                       std::int64_t now_unix_s, bool* retry = nullptr);

  std::size_t remembered() const { return seen_.size(); }  // ids in the replay memory
  // Signature computations so far: one HMAC per secret, one ed25519 verify per key and
  // distinct signature; what a hostile header can make a receiver spend.
  std::uint64_t signature_checks() const { return checks_; }
  const verifier_options& options() const { return options_; }

 private:
  reject_reason check_signature(std::string_view id, std::int64_t timestamp,
                                std::string_view header, std::string_view body);
  void forget_expired(std::int64_t now_unix_s);

  verifier_options options_;
  std::vector<hmac_signer> hmac_;
  std::vector<ed25519_public_key> public_keys_;
  // id -> expiry (newest accepted timestamp + tolerance)
  std::unordered_map<std::string, std::int64_t> seen_;
  std::set<std::pair<std::int64_t, std::string>> expiries_;  // the same, oldest expiry first
  std::uint64_t checks_ = 0;
};

}  // namespace hookbench::security

namespace hookbench {

class option_parser;
// Adds --signature (hmac, ed25519, none) and, for `run`/`sweep` (with_unsigned), --unsigned as
// its shorthand for none.
void add_signature_option(option_parser& p, security::signature_scheme& scheme,
                          bool with_unsigned = false);

}  // namespace hookbench
