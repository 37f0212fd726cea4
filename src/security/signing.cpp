// Standard Webhooks signing on OpenSSL 3's EVP interfaces: EVP_MAC for HMAC-SHA256, EVP_PKEY
// ed25519 with one-shot EVP_DigestSign/EVP_DigestVerify. The contexts are built once per key and
// re-initialised per message, since a producer signs every delivery.
#include "security/signing.hpp"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <stdexcept>

#include "core/cli.hpp"
#include "core/enum_names.hpp"
#include "core/parse.hpp"
#include "security/token.hpp"

namespace hookbench::security {

namespace {

constexpr std::string_view kAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr std::size_t kHmacBytes = 32;
constexpr std::size_t kEd25519KeyBytes = 32;
constexpr std::size_t kEd25519SignatureBytes = 64;

// -1 for a byte outside the alphabet.
constexpr std::array<int, 256> make_decode_table() {
  std::array<int, 256> t{};
  for (auto& v : t) v = -1;
  for (std::size_t i = 0; i < kAlphabet.size(); ++i) {
    t[static_cast<unsigned char>(kAlphabet[i])] = static_cast<int>(i);
  }
  return t;
}
constexpr auto kDecode = make_decode_table();

const unsigned char* bytes_of(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

[[noreturn]] void throw_openssl(const char* what) {
  throw std::runtime_error(std::string("OpenSSL: ") + what + " failed");
}

// The HMAC algorithm, fetched once for the process (EVP_MAC_fetch is a provider lookup).
EVP_MAC* hmac_algorithm() {
  static EVP_MAC* mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  if (mac == nullptr) throw_openssl("EVP_MAC_fetch(HMAC)");
  return mac;
}

EVP_PKEY* as_pkey(void* p) { return static_cast<EVP_PKEY*>(p); }

std::string timestamp_text(std::int64_t timestamp) {
  std::array<char, 24> buf{};
  auto [end, ec] = std::to_chars(buf.data(), buf.data() + buf.size(), timestamp);
  (void)ec;
  return std::string(buf.data(), end);
}

std::string raw_public_key(EVP_PKEY* pkey) {
  std::string raw(kEd25519KeyBytes, '\0');
  std::size_t len = raw.size();
  if (EVP_PKEY_get_raw_public_key(pkey, reinterpret_cast<unsigned char*>(raw.data()), &len) != 1 ||
      len != kEd25519KeyBytes) {
    throw_openssl("EVP_PKEY_get_raw_public_key");
  }
  return raw;
}

// The base64 part of "<prefix><base64>", decoded; throws std::invalid_argument naming `what`.
std::string decode_prefixed(std::string_view text, std::string_view prefix, std::string_view what) {
  if (!text.starts_with(prefix)) {
    throw std::invalid_argument(std::string(what) + " must start with '" + std::string(prefix) +
                                "'");
  }
  auto raw = base64_decode(text.substr(prefix.size()));
  if (!raw) {
    throw std::invalid_argument(std::string(what) + ": '" + std::string(prefix) +
                                "' must be followed by standard base64 (A-Z a-z 0-9 + /, padded)");
  }
  return *raw;
}

}  // namespace

// --- base64 ------------------------------------------------------------------------------------

std::string base64_encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  const auto* p = bytes_of(bytes);
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const std::uint32_t v = (p[i] << 16) | (p[i + 1] << 8) | p[i + 2];
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  const std::size_t rest = bytes.size() - i;
  if (rest == 1) {
    const std::uint32_t v = p[i] << 16;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += "==";
  } else if (rest == 2) {
    const std::uint32_t v = (p[i] << 16) | (p[i + 1] << 8);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += '=';
  }
  return out;
}

std::optional<std::string> base64_decode(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  std::size_t pad = 0;
  if (!text.empty() && text.back() == '=')
    pad = text.size() >= 2 && text[text.size() - 2] == '=' ? 2 : 1;
  std::string out;
  out.reserve(text.size() / 4 * 3);
  for (std::size_t i = 0; i < text.size(); i += 4) {
    const bool last = i + 4 == text.size();
    std::uint32_t v = 0;
    for (std::size_t j = 0; j < 4; ++j) {
      const char c = text[i + j];
      int d = 0;
      if (c == '=') {
        // Padding only in the last group's last `pad` places.
        if (!last || j < 4 - pad) return std::nullopt;
      } else {
        d = kDecode[static_cast<unsigned char>(c)];
        if (d < 0) return std::nullopt;
      }
      v = (v << 6) | static_cast<std::uint32_t>(d);
    }
    out += static_cast<char>((v >> 16) & 0xff);
    if (!last || pad < 2) out += static_cast<char>((v >> 8) & 0xff);
    if (!last || pad < 1) out += static_cast<char>(v & 0xff);
    // Canonical only: the bits the padding stands for must be zero.
    if (last && pad == 1 && (v & 0xff) != 0) return std::nullopt;
    if (last && pad == 2 && (v & 0xffff) != 0) return std::nullopt;
  }
  return out;
}

// --- schemes and secrets -----------------------------------------------------------------------

namespace {

constexpr auto kSchemes = make_enum_names<signature_scheme>({{signature_scheme::hmac, "hmac"},
                                                             {signature_scheme::ed25519, "ed25519"},
                                                             {signature_scheme::none, "none"}});

}  // namespace

signature_scheme parse_signature_scheme(std::string_view text) {
  if (const auto scheme = kSchemes.find(text)) return *scheme;
  throw std::invalid_argument(kSchemes.expected(text));
}

std::string_view to_string(signature_scheme scheme) { return kSchemes.name(scheme); }

webhook_secret webhook_secret::parse(std::string_view text) {
  auto key = decode_prefixed(text, "whsec_", "a webhook secret");
  if (key.size() < 24 || key.size() > 64) {
    throw std::invalid_argument("a webhook secret must hold 24 to 64 bytes, this one holds " +
                                std::to_string(key.size()));
  }
  return webhook_secret(key);
}

webhook_secret webhook_secret::generate(std::size_t bytes) {
  if (bytes < 24 || bytes > 64)
    throw std::invalid_argument("a webhook secret holds 24 to 64 bytes");
  std::string key(bytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(key.data()), static_cast<int>(bytes)) != 1) {
    throw_openssl("RAND_bytes");
  }
  return webhook_secret(key);
}

std::string webhook_secret::to_string() const { return "whsec_" + base64_encode(key_); }

std::string signed_content(std::string_view id, std::int64_t timestamp, std::string_view body) {
  const std::string ts = timestamp_text(timestamp);
  std::string out;
  out.reserve(id.size() + ts.size() + body.size() + 2);
  out.append(id).append(1, '.').append(ts).append(1, '.').append(body);
  return out;
}

namespace detail {
void mac_ctx_deleter::operator()(void* p) const { EVP_MAC_CTX_free(static_cast<EVP_MAC_CTX*>(p)); }
void pkey_deleter::operator()(void* p) const { EVP_PKEY_free(static_cast<EVP_PKEY*>(p)); }
void md_ctx_deleter::operator()(void* p) const { EVP_MD_CTX_free(static_cast<EVP_MD_CTX*>(p)); }
}  // namespace detail

// --- HMAC --------------------------------------------------------------------------------------

hmac_signer::hmac_signer(const webhook_secret& secret) : ctx_(EVP_MAC_CTX_new(hmac_algorithm())) {
  if (!ctx_) throw_openssl("EVP_MAC_CTX_new");
  char digest[] = "SHA256";
  const OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                               OSSL_PARAM_construct_end()};
  if (EVP_MAC_init(static_cast<EVP_MAC_CTX*>(ctx_.get()), bytes_of(secret.key()),
                   secret.key().size(), params) != 1) {
    throw_openssl("EVP_MAC_init");
  }
}

std::string hmac_signer::mac(std::string_view id, std::int64_t timestamp, std::string_view body) {
  auto* ctx = static_cast<EVP_MAC_CTX*>(ctx_.get());
  const std::string ts = timestamp_text(timestamp);
  // A null key re-initialises with the key already set: no key schedule per message.
  std::string out(kHmacBytes, '\0');
  std::size_t len = 0;
  if (EVP_MAC_init(ctx, nullptr, 0, nullptr) != 1 ||
      EVP_MAC_update(ctx, bytes_of(id), id.size()) != 1 ||
      EVP_MAC_update(ctx, bytes_of("."), 1) != 1 ||
      EVP_MAC_update(ctx, bytes_of(ts), ts.size()) != 1 ||
      EVP_MAC_update(ctx, bytes_of("."), 1) != 1 ||
      EVP_MAC_update(ctx, bytes_of(body), body.size()) != 1 ||
      EVP_MAC_final(ctx, reinterpret_cast<unsigned char*>(out.data()), &len, out.size()) != 1 ||
      len != kHmacBytes) {
    throw_openssl("HMAC-SHA256");
  }
  return out;
}

std::string hmac_signer::sign(std::string_view id, std::int64_t timestamp, std::string_view body) {
  return "v1," + base64_encode(mac(id, timestamp, body));
}

// --- ed25519 -----------------------------------------------------------------------------------

ed25519_public_key ed25519_public_key::from_raw(std::string_view raw32) {
  if (raw32.size() != kEd25519KeyBytes) {
    throw std::invalid_argument("an ed25519 public key holds 32 bytes, this one holds " +
                                std::to_string(raw32.size()));
  }
  EVP_PKEY* pkey =
      EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, bytes_of(raw32), raw32.size());
  if (pkey == nullptr) throw_openssl("EVP_PKEY_new_raw_public_key");
  ed25519_public_key key;
  key.pkey_ = std::shared_ptr<void>(pkey, [](void* p) { EVP_PKEY_free(as_pkey(p)); });
  key.raw_ = std::string(raw32);
  return key;
}

ed25519_public_key ed25519_public_key::parse(std::string_view text) {
  return from_raw(decode_prefixed(text, "whpk_", "an ed25519 public key"));
}

std::string ed25519_public_key::to_string() const { return "whpk_" + base64_encode(raw_); }

bool ed25519_public_key::verify(std::string_view id, std::int64_t timestamp, std::string_view body,
                                std::string_view signature) const {
  if (!pkey_ || signature.size() != kEd25519SignatureBytes) return false;
  // Ed25519 hashes the whole message twice, so it takes the content in one piece.
  return verify_content(signed_content(id, timestamp, body), signature);
}

bool ed25519_public_key::verify_content(std::string_view content,
                                        std::string_view signature) const {
  if (!pkey_ || signature.size() != kEd25519SignatureBytes) return false;
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> md(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  if (!md || EVP_DigestVerifyInit(md.get(), nullptr, nullptr, nullptr, as_pkey(pkey_.get())) != 1) {
    throw_openssl("EVP_DigestVerifyInit");
  }
  return EVP_DigestVerify(md.get(), bytes_of(signature), signature.size(), bytes_of(content),
                          content.size()) == 1;
}

namespace {
ed25519_public_key public_of(EVP_PKEY* pkey) {
  return ed25519_public_key::from_raw(raw_public_key(pkey));
}
}  // namespace

ed25519_signer ed25519_signer::generate() {
  EVP_PKEY* pkey = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
  if (pkey == nullptr) throw_openssl("EVP_PKEY_Q_keygen(ED25519)");
  ed25519_signer s;
  s.pkey_.reset(pkey);
  s.md_.reset(EVP_MD_CTX_new());
  if (!s.md_) throw_openssl("EVP_MD_CTX_new");
  s.public_ = public_of(pkey);
  return s;
}

ed25519_signer ed25519_signer::parse(std::string_view whsk) {
  const auto seed = decode_prefixed(whsk, "whsk_", "an ed25519 secret key");
  if (seed.size() != kEd25519KeyBytes) {
    throw std::invalid_argument("an ed25519 secret key holds 32 bytes, this one holds " +
                                std::to_string(seed.size()));
  }
  EVP_PKEY* pkey =
      EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, bytes_of(seed), seed.size());
  if (pkey == nullptr) throw_openssl("EVP_PKEY_new_raw_private_key");
  ed25519_signer s;
  s.pkey_.reset(pkey);
  s.md_.reset(EVP_MD_CTX_new());
  if (!s.md_) throw_openssl("EVP_MD_CTX_new");
  s.public_ = public_of(pkey);
  return s;
}

std::string ed25519_signer::secret_key_string() const {
  std::string seed(kEd25519KeyBytes, '\0');
  std::size_t len = seed.size();
  if (EVP_PKEY_get_raw_private_key(as_pkey(pkey_.get()),
                                   reinterpret_cast<unsigned char*>(seed.data()), &len) != 1 ||
      len != kEd25519KeyBytes) {
    throw_openssl("EVP_PKEY_get_raw_private_key");
  }
  return "whsk_" + base64_encode(seed);
}

std::string ed25519_signer::signature(std::string_view id, std::int64_t timestamp,
                                      std::string_view body) {
  auto* md = static_cast<EVP_MD_CTX*>(md_.get());
  const std::string content = signed_content(id, timestamp, body);
  std::string sig(kEd25519SignatureBytes, '\0');
  std::size_t len = sig.size();
  // Re-initialising the same context keeps its key context: no allocation per message.
  if (EVP_DigestSignInit(md, nullptr, nullptr, nullptr, as_pkey(pkey_.get())) != 1 ||
      EVP_DigestSign(md, reinterpret_cast<unsigned char*>(sig.data()), &len, bytes_of(content),
                     content.size()) != 1 ||
      len != kEd25519SignatureBytes) {
    throw_openssl("ed25519 signing");
  }
  return sig;
}

std::string ed25519_signer::sign(std::string_view id, std::int64_t timestamp,
                                 std::string_view body) {
  return "v1a," + base64_encode(signature(id, timestamp, body));
}

// --- verification ------------------------------------------------------------------------------

namespace {

constexpr auto kRejectReasons =
    make_enum_names<reject_reason>({{reject_reason::accepted, "accepted"},
                                    {reject_reason::missing_header, "missing-header"},
                                    {reject_reason::malformed_timestamp, "malformed-timestamp"},
                                    {reject_reason::timestamp_too_old, "timestamp-too-old"},
                                    {reject_reason::timestamp_too_new, "timestamp-too-new"},
                                    {reject_reason::malformed_signature, "malformed-signature"},
                                    {reject_reason::too_many_signatures, "too-many-signatures"},
                                    {reject_reason::bad_signature, "bad-signature"},
                                    {reject_reason::replay, "replay"},
                                    {reject_reason::replay_memory_full, "replay-memory-full"},
                                    {reject_reason::wrong_subscription, "wrong-subscription"}});

}  // namespace

std::string_view to_string(reject_reason reason) { return kRejectReasons.name(reason); }

const std::vector<reject_reason>& all_reject_reasons() {
  static const std::vector<reject_reason> all{
      reject_reason::missing_header,      reject_reason::malformed_timestamp,
      reject_reason::timestamp_too_old,   reject_reason::timestamp_too_new,
      reject_reason::malformed_signature, reject_reason::too_many_signatures,
      reject_reason::bad_signature,       reject_reason::replay,
      reject_reason::replay_memory_full,  reject_reason::wrong_subscription};
  return all;
}

signature_verifier::signature_verifier(verifier_options options) : options_(options) {}

void signature_verifier::add_secret(const webhook_secret& secret) { hmac_.emplace_back(secret); }

void signature_verifier::add_public_key(const ed25519_public_key& key) {
  public_keys_.push_back(key);
}

reject_reason signature_verifier::verify(std::string_view id, std::string_view timestamp_header,
                                         std::string_view signature_header, std::string_view body,
                                         std::int64_t now_unix_s, bool* retry) {
  if (retry) *retry = false;
  if (id.empty() || timestamp_header.empty() || signature_header.empty()) {
    return reject_reason::missing_header;
  }
  // Decimal seconds only: no sign, no spaces, at most 18 digits (no overflow).
  std::int64_t ts = 0;
  if (timestamp_header.size() > 18) return reject_reason::malformed_timestamp;
  auto [end, ec] = std::from_chars(timestamp_header.data(),
                                   timestamp_header.data() + timestamp_header.size(), ts);
  if (ec != std::errc{} || end != timestamp_header.data() + timestamp_header.size() ||
      timestamp_header.front() == '-') {
    return reject_reason::malformed_timestamp;
  }
  if (now_unix_s - ts > options_.tolerance_s) return reject_reason::timestamp_too_old;
  if (ts - now_unix_s > options_.tolerance_s) return reject_reason::timestamp_too_new;

  if (auto r = check_signature(id, ts, signature_header, body); r != reject_reason::accepted) {
    return r;
  }

  // Only a verified POST enters the memory, so forged ids cannot fill it.
  forget_expired(now_unix_s);
  const std::int64_t expiry = ts + options_.tolerance_s;
  if (auto it = seen_.find(std::string(id)); it != seen_.end()) {
    // Seen with timestamp it->second - tolerance: only a newer one is a fresh attempt.
    if (expiry <= it->second) return reject_reason::replay;
    expiries_.erase({it->second, it->first});
    it->second = expiry;
    expiries_.emplace(expiry, it->first);
    if (retry) *retry = true;
    return reject_reason::accepted;
  }
  if (seen_.size() >= options_.replay_capacity) return reject_reason::replay_memory_full;
  seen_.emplace(std::string(id), expiry);
  expiries_.emplace(expiry, std::string(id));
  return reject_reason::accepted;
}

reject_reason signature_verifier::check_signature(std::string_view id, std::int64_t timestamp,
                                                  std::string_view header, std::string_view body) {
  // The entries first, all of them, so that a long list is refused before any costs a verify.
  std::vector<std::string_view> entries;
  while (!header.empty()) {
    const auto space = header.find(' ');
    if (space != 0) {
      if (entries.size() == kMaxSignatureEntries) return reject_reason::too_many_signatures;
      entries.push_back(header.substr(0, space));
    }
    header = space == std::string_view::npos ? std::string_view{} : header.substr(space + 1);
  }
  bool well_formed = false;
  std::vector<std::string> macs;       // one per secret, computed on the first v1 entry
  std::optional<std::string> content;  // id.timestamp.body, built on the first v1a entry
  std::vector<std::string> tried;      // v1a signatures already verified with every key
  for (const std::string_view entry : entries) {
    const auto comma = entry.find(',');
    if (comma == std::string_view::npos) continue;
    const std::string_view version = entry.substr(0, comma);
    if (version != "v1" && version != "v1a") continue;  // other versions are not ours to judge
    const auto sig = base64_decode(entry.substr(comma + 1));
    if (!sig) continue;
    if (version == "v1") {
      if (sig->size() != kHmacBytes) continue;
      well_formed = true;
      if (macs.empty()) {
        for (auto& h : hmac_) macs.push_back(h.mac(id, timestamp, body));
        checks_ += hmac_.size();
      }
      for (const auto& m : macs) {
        if (constant_time_equal(m, *sig)) return reject_reason::accepted;
      }
    } else {
      if (sig->size() != kEd25519SignatureBytes) continue;
      well_formed = true;
      if (std::find(tried.begin(), tried.end(), *sig) != tried.end()) continue;
      if (!content) content = signed_content(id, timestamp, body);
      for (const auto& k : public_keys_) {
        ++checks_;
        if (k.verify_content(*content, *sig)) return reject_reason::accepted;
      }
      tried.push_back(*sig);
    }
  }
  return well_formed ? reject_reason::bad_signature : reject_reason::malformed_signature;
}

void signature_verifier::forget_expired(std::int64_t now_unix_s) {
  while (!expiries_.empty() && expiries_.begin()->first < now_unix_s) {
    seen_.erase(expiries_.begin()->second);
    expiries_.erase(expiries_.begin());
  }
}

}  // namespace hookbench::security

namespace hookbench {

void add_signature_option(option_parser& p, security::signature_scheme& scheme,
                          bool with_unsigned) {
  p.add("--signature", "SCHEME",
        "webhook signatures (Standard Webhooks): hmac (v1, HMAC-SHA256\n"
        "                            with a secret per subscription), ed25519 (v1a) or none",
        "hmac", [&scheme](std::string_view v) {
          try {
            scheme = security::parse_signature_scheme(v);
          } catch (const std::invalid_argument& e) {
            throw usage_error(e.what());
          }
        });
  if (with_unsigned) {
    p.add_switch("--unsigned", "same as --signature none: webhooks carry no signature",
                 [&scheme] { scheme = security::signature_scheme::none; });
  }
}

}  // namespace hookbench
