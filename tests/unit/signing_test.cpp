// Standard Webhooks signing (security/signing): the spec's published vector, independent checks
// with the `openssl` command line (HMAC and ed25519), every reject reason of the verifier, key
// rotation, the bounded replay memory and base64's edge cases.
#include "security/signing.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>

namespace hookbench::security {
namespace {

// The test vector of the Standard Webhooks libraries (e.g. svix-webhooks' PHP test
// testSignFunctionWorks and the spec's "Testing" section).
constexpr std::string_view kSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
constexpr std::string_view kId = "msg_p5jXN8AQM9LWM0D4loKWxJek";
constexpr std::int64_t kTs = 1614265330;
constexpr std::string_view kBody = R"({"test": 2432232314})";
constexpr std::string_view kExpected = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

std::string hex(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  return out;
}

std::string unhex(std::string_view h) {
  std::string out;
  for (std::size_t i = 0; i + 1 < h.size(); i += 2) {
    out += static_cast<char>(std::stoi(std::string(h.substr(i, 2)), nullptr, 16));
  }
  return out;
}

bool have_openssl() { return std::system("openssl version >/dev/null 2>&1") == 0; }

// Runs `cmd` and returns its stdout (binary-safe); throws when it fails.
std::string run(const std::string& cmd) {
  FILE* f = popen(cmd.c_str(), "r");
  if (f == nullptr) throw std::runtime_error("popen failed: " + cmd);
  std::string out;
  char buf[4096];
  std::size_t n = 0;
  while ((n = fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
  const int rc = pclose(f);
  if (rc != 0) throw std::runtime_error("command failed (" + std::to_string(rc) + "): " + cmd);
  return out;
}

// A scratch directory removed at the end of the test.
struct scratch_dir {
  std::filesystem::path path;
  scratch_dir() {
    std::string templ = (std::filesystem::temp_directory_path() / "hookbench-sig-XXXXXX").string();
    if (mkdtemp(templ.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path = templ;
  }
  ~scratch_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  std::string write(const std::string& name, std::string_view bytes) const {
    auto p = path / name;
    std::ofstream(p, std::ios::binary)
        .write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    return p.string();
  }
};

// --- base64 ------------------------------------------------------------------------------------

TEST(Base64, RoundTripsEveryLengthAndByte) {
  std::string all;
  for (int i = 0; i < 256; ++i) all += static_cast<char>(i);
  for (std::size_t n = 0; n <= all.size(); ++n) {
    const auto text = base64_encode(all.substr(0, n));
    EXPECT_EQ(text.size() % 4, 0u);
    auto back = base64_decode(text);
    ASSERT_TRUE(back) << n;
    EXPECT_EQ(*back, all.substr(0, n));
  }
}

TEST(Base64, KnownValuesFromRfc4648) {
  EXPECT_EQ(base64_encode(""), "");
  EXPECT_EQ(base64_encode("f"), "Zg==");
  EXPECT_EQ(base64_encode("fo"), "Zm8=");
  EXPECT_EQ(base64_encode("foo"), "Zm9v");
  EXPECT_EQ(base64_encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(base64_encode("\xfb\xff"), "+/8=");
  EXPECT_EQ(base64_decode("Zm9vYg==").value(), "foob");
  EXPECT_EQ(base64_decode("").value(), "");
}

TEST(Base64, RejectsInvalidInput) {
  for (std::string_view bad : {"Zg", "Zg=", "Z===", "====", "Zm9v\n", "Zm9-", "Zm9_", "Zg==Zm9v",
                               "Z=g=", "Zh==", "Zm9=", " Zm9v", "Zm 9", "Zm9v="}) {
    EXPECT_FALSE(base64_decode(bad)) << "'" << bad << "'";
  }
}

// --- secrets and HMAC --------------------------------------------------------------------------

TEST(WebhookSecret, ParsesTheSpecSecretAndPrintsItBack) {
  auto s = webhook_secret::parse(kSecret);
  EXPECT_EQ(s.key().size(), 24u);
  EXPECT_EQ(s.to_string(), kSecret);
}

TEST(WebhookSecret, RejectsMalformedSecretsWithAReason) {
  auto message = [](std::string_view text) {
    try {
      webhook_secret::parse(text);
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  EXPECT_NE(message("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").find("must start with 'whsec_'"),
            std::string::npos);
  EXPECT_NE(message("whsec_MfKQ9r8G!YqrTwjUPD8ILPZIo2LaLaSw").find("base64"), std::string::npos);
  EXPECT_NE(message("whsec_").find("24 to 64 bytes"), std::string::npos);
  EXPECT_NE(message("whsec_" + base64_encode(std::string(65, 'x'))).find("holds 65"),
            std::string::npos);
}

TEST(WebhookSecret, GeneratesDistinctSecretsThatParse) {
  auto a = webhook_secret::generate();
  auto b = webhook_secret::generate();
  EXPECT_EQ(a.key().size(), 32u);
  EXPECT_NE(a.key(), b.key());
  EXPECT_EQ(webhook_secret::parse(a.to_string()).key(), a.key());
  EXPECT_THROW(webhook_secret::generate(8), std::invalid_argument);
}

TEST(HmacSigner, ReproducesTheStandardWebhooksTestVector) {
  hmac_signer signer(webhook_secret::parse(kSecret));
  EXPECT_EQ(signer.sign(kId, kTs, kBody), kExpected);
  // The reused context gives the same answer again, and another for other content.
  EXPECT_NE(signer.sign(kId, kTs + 1, kBody), kExpected);
  EXPECT_EQ(signer.sign(kId, kTs, kBody), kExpected);
  EXPECT_EQ(signed_content(kId, kTs, kBody),
            std::string(kId) + ".1614265330." + std::string(kBody));
}

TEST(HmacSigner, AgreesWithTheOpensslCommandLine) {
  if (!have_openssl())
    GTEST_SKIP() << "the openssl binary is missing (scripts/setup.sh installs it)";
  scratch_dir dir;
  auto secret = webhook_secret::generate();
  hmac_signer signer(secret);
  for (std::size_t size : {0, 1, 100, 70'000}) {
    std::string body(size, 'a');
    for (std::size_t i = 0; i < size; ++i) body[i] = static_cast<char>('a' + i % 26);
    const std::string content = signed_content("msg_42", 1700000000, body);
    const auto file = dir.write("content", content);
    const auto out = run("openssl dgst -sha256 -mac HMAC -macopt hexkey:" + hex(secret.key()) +
                         " -binary " + file);
    EXPECT_EQ(out, signer.mac("msg_42", 1700000000, body)) << size;
    EXPECT_EQ("v1," + base64_encode(out), signer.sign("msg_42", 1700000000, body));
  }
}

// --- ed25519 -----------------------------------------------------------------------------------

TEST(Ed25519, SignsAndVerifiesAndKeysRoundTripThroughText) {
  auto signer = ed25519_signer::generate();
  const auto header = signer.sign(kId, kTs, kBody);
  ASSERT_TRUE(header.starts_with("v1a,"));
  const auto sig = base64_decode(header.substr(4));
  ASSERT_TRUE(sig);
  EXPECT_EQ(sig->size(), 64u);

  auto pub = ed25519_public_key::parse(signer.public_key().to_string());
  EXPECT_TRUE(pub.to_string().starts_with("whpk_"));
  EXPECT_TRUE(pub.verify(kId, kTs, kBody, *sig));
  EXPECT_FALSE(pub.verify(kId, kTs + 1, kBody, *sig));
  EXPECT_FALSE(pub.verify(kId, kTs, R"({"test": 2432232315})", *sig));

  // The same seed signs identically (ed25519 is deterministic); a second signature with the
  // reused context still verifies.
  auto again = ed25519_signer::parse(signer.secret_key_string());
  EXPECT_EQ(again.public_key().to_string(), signer.public_key().to_string());
  EXPECT_EQ(again.sign(kId, kTs, kBody), header);
  EXPECT_EQ(signer.sign(kId, kTs, kBody), header);
  EXPECT_TRUE(pub.verify("msg_2", kTs, "x", signer.signature("msg_2", kTs, "x")));

  EXPECT_THROW(ed25519_public_key::parse("whsk_" + base64_encode(std::string(32, 'k'))),
               std::invalid_argument);
  EXPECT_THROW(ed25519_public_key::parse("whpk_" + base64_encode(std::string(31, 'k'))),
               std::invalid_argument);
  EXPECT_THROW(ed25519_signer::parse("whsk_abc"), std::invalid_argument);
}

TEST(Ed25519, AgreesWithOpensslPkeyutl) {
  if (!have_openssl())
    GTEST_SKIP() << "the openssl binary is missing (scripts/setup.sh installs it)";
  scratch_dir dir;
  auto signer = ed25519_signer::generate();
  const auto seed = base64_decode(signer.secret_key_string().substr(5)).value();
  const auto pub = base64_decode(signer.public_key().to_string().substr(5)).value();
  // RFC 8410 DER: the fixed PKCS#8 and SubjectPublicKeyInfo prefixes, then the raw 32 bytes.
  const auto key = dir.write("key.der", unhex("302e020100300506032b657004220420") + seed);
  const auto pubkey = dir.write("pub.der", unhex("302a300506032b6570032100") + pub);
  const std::string body = R"({"seq":7,"payload":"abc"})";
  const auto content = dir.write("content", signed_content("msg_7", 1700000000, body));

  // OpenSSL signs the same bytes (ed25519 is deterministic) ...
  const auto theirs = run("openssl pkeyutl -sign -rawin -keyform DER -inkey " + key + " -in " +
                          content + " 2>/dev/null");
  EXPECT_EQ(theirs, signer.signature("msg_7", 1700000000, body));
  // ... and verifies ours with the public key alone.
  const auto sig = dir.write("sig", signer.signature("msg_7", 1700000000, body));
  EXPECT_NE(run("openssl pkeyutl -verify -rawin -pubin -keyform DER -inkey " + pubkey + " -in " +
                content + " -sigfile " + sig + " 2>&1")
                .find("Signature Verified Successfully"),
            std::string::npos);
}

// --- the verifier ------------------------------------------------------------------------------

signature_verifier spec_verifier(verifier_options o = {}) {
  signature_verifier v(o);
  v.add_secret(webhook_secret::parse(kSecret));
  return v;
}

TEST(SignatureVerifier, AcceptsTheSpecVectorInsideTheTolerance) {
  auto v = spec_verifier();
  EXPECT_EQ(v.verify(kId, "1614265330", kExpected, kBody, kTs + 300), reject_reason::accepted);
  EXPECT_EQ(v.remembered(), 1u);
}

TEST(SignatureVerifier, NamesEveryRejectReason) {
  const std::string ts = std::to_string(kTs);
  {
    auto v = spec_verifier();
    EXPECT_EQ(v.verify("", ts, kExpected, kBody, kTs), reject_reason::missing_header);
    EXPECT_EQ(v.verify(kId, "", kExpected, kBody, kTs), reject_reason::missing_header);
    EXPECT_EQ(v.verify(kId, ts, "", kBody, kTs), reject_reason::missing_header);
  }
  for (std::string_view bad : {"16142653x0", "-1614265330", " 1614265330", "1614265330.5",
                               "99999999999999999999", "+1614265330"}) {
    auto v = spec_verifier();
    EXPECT_EQ(v.verify(kId, bad, kExpected, kBody, kTs), reject_reason::malformed_timestamp) << bad;
  }
  {
    auto v = spec_verifier();
    EXPECT_EQ(v.verify(kId, ts, kExpected, kBody, kTs + 301), reject_reason::timestamp_too_old);
    EXPECT_EQ(v.verify(kId, ts, kExpected, kBody, kTs - 301), reject_reason::timestamp_too_new);
    EXPECT_EQ(v.remembered(), 0u);
  }
  for (std::string_view bad :
       {"g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=", "v1,", "v1,not base64!", "v1,Zm9v",
        "v2,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
        "v1a,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="}) {
    auto v = spec_verifier();
    EXPECT_EQ(v.verify(kId, ts, bad, kBody, kTs), reject_reason::malformed_signature) << bad;
  }
  {
    auto v = spec_verifier();
    // Well formed, wrong: another secret, another id, a body one byte off.
    hmac_signer other(webhook_secret::generate());
    EXPECT_EQ(v.verify(kId, ts, other.sign(kId, kTs, kBody), kBody, kTs),
              reject_reason::bad_signature);
    EXPECT_EQ(v.verify("msg_other", ts, kExpected, kBody, kTs), reject_reason::bad_signature);
    std::string changed(kBody);
    changed[9] = '3';
    EXPECT_EQ(v.verify(kId, ts, kExpected, changed, kTs), reject_reason::bad_signature);
    changed = std::string(kBody) + " ";
    EXPECT_EQ(v.verify(kId, ts, kExpected, changed, kTs), reject_reason::bad_signature);
    EXPECT_EQ(v.verify(kId, std::to_string(kTs + 1), kExpected, kBody, kTs),
              reject_reason::bad_signature);
    EXPECT_EQ(v.remembered(), 0u);  // nothing unverified is remembered
    EXPECT_EQ(v.verify(kId, ts, kExpected, kBody, kTs), reject_reason::accepted);
    EXPECT_EQ(v.verify(kId, ts, kExpected, kBody, kTs + 10), reject_reason::replay);
  }
  {
    verifier_options o;
    o.replay_capacity = 1;
    auto v = spec_verifier(o);
    hmac_signer s(webhook_secret::parse(kSecret));
    EXPECT_EQ(v.verify("a", ts, s.sign("a", kTs, kBody), kBody, kTs), reject_reason::accepted);
    EXPECT_EQ(v.verify("b", ts, s.sign("b", kTs, kBody), kBody, kTs),
              reject_reason::replay_memory_full);
  }
  for (auto r : all_reject_reasons()) EXPECT_NE(to_string(r), "unknown");
  EXPECT_EQ(to_string(reject_reason::timestamp_too_old), "timestamp-too-old");
  EXPECT_EQ(to_string(reject_reason::wrong_subscription), "wrong-subscription");
  EXPECT_EQ(to_string(reject_reason::too_many_signatures), "too-many-signatures");
  EXPECT_EQ(all_reject_reasons().size(), 10u);
}

// Standard Webhooks retries keep the webhook-id and sign afresh with a newer timestamp: that is
// accepted (and said to be a retry), while the exact POST again, or an older attempt, is a replay.
TEST(SignatureVerifier, ARetryWithANewerTimestampIsAcceptedAReplayIsNot) {
  verifier_options o;
  o.tolerance_s = 60;
  signature_verifier v(o);
  auto secret = webhook_secret::generate();
  v.add_secret(secret);
  hmac_signer s(secret);
  const std::int64_t t0 = 1'700'000'000;
  auto send = [&](std::int64_t ts, std::int64_t now, bool* retry) {
    return v.verify("msg_7", std::to_string(ts), s.sign("msg_7", ts, "b"), "b", now, retry);
  };
  bool retry = true;
  EXPECT_EQ(send(t0, t0, &retry), reject_reason::accepted);
  EXPECT_FALSE(retry);
  EXPECT_EQ(send(t0, t0 + 1, &retry), reject_reason::replay);  // the same POST again
  EXPECT_EQ(send(t0 + 5, t0 + 5, &retry), reject_reason::accepted);
  EXPECT_TRUE(retry);
  EXPECT_EQ(send(t0 + 5, t0 + 6, &retry), reject_reason::replay);
  EXPECT_FALSE(retry);
  EXPECT_EQ(send(t0 + 2, t0 + 6, &retry), reject_reason::replay);  // an older attempt
  EXPECT_EQ(v.remembered(), 1u);
  // The id stays remembered for the tolerance after its newest timestamp, not its first.
  EXPECT_EQ(send(t0 + 5, t0 + 64, &retry), reject_reason::replay);
  // A forged retry (newer timestamp, another key) is still refused by its signature.
  hmac_signer other(webhook_secret::generate());
  EXPECT_EQ(
      v.verify("msg_7", std::to_string(t0 + 9), other.sign("msg_7", t0 + 9, "b"), "b", t0 + 9),
      reject_reason::bad_signature);
}

TEST(SignatureVerifier, RotationAcceptsEitherOfTwoSignatures) {
  auto old_secret = webhook_secret::generate();
  auto new_secret = webhook_secret::generate();
  hmac_signer old_signer(old_secret), new_signer(new_secret);
  const std::string body = "{}";
  // The sender signs with both during the rotation; receivers that know either accept.
  const auto both = old_signer.sign("m1", kTs, body) + " " + new_signer.sign("m1", kTs, body);
  for (const auto* secret : {&old_secret, &new_secret}) {
    signature_verifier v;
    v.add_secret(*secret);
    EXPECT_EQ(v.verify("m1", std::to_string(kTs), both, body, kTs), reject_reason::accepted);
  }
  // A receiver holding both keys accepts a message signed with either one alone.
  signature_verifier v;
  v.add_secret(old_secret);
  v.add_secret(new_secret);
  EXPECT_EQ(v.verify("m2", std::to_string(kTs), old_signer.sign("m2", kTs, body), body, kTs),
            reject_reason::accepted);
  EXPECT_EQ(v.verify("m3", std::to_string(kTs), new_signer.sign("m3", kTs, body), body, kTs),
            reject_reason::accepted);
  // Unknown versions and junk entries beside a valid one do not matter.
  EXPECT_EQ(v.verify("m4", std::to_string(kTs),
                     "v9,zzz garbage v1,Zm9v " + new_signer.sign("m4", kTs, body), body, kTs),
            reject_reason::accepted);
  // Neither key: refused.
  signature_verifier stranger;
  stranger.add_secret(webhook_secret::generate());
  EXPECT_EQ(stranger.verify("m1", std::to_string(kTs), both, body, kTs),
            reject_reason::bad_signature);
}

TEST(SignatureVerifier, VerifiesEd25519AndMixedKeys) {
  auto signer = ed25519_signer::generate();
  signature_verifier v;
  v.add_public_key(signer.public_key());
  v.add_secret(webhook_secret::parse(kSecret));
  const std::string ts = std::to_string(kTs);
  EXPECT_EQ(v.verify("e1", ts, signer.sign("e1", kTs, kBody), kBody, kTs), reject_reason::accepted);
  EXPECT_EQ(v.verify(kId, ts, kExpected, kBody, kTs), reject_reason::accepted);
  std::string changed(kBody);
  changed.back() = ']';
  EXPECT_EQ(v.verify("e2", ts, signer.sign("e2", kTs, kBody), changed, kTs),
            reject_reason::bad_signature);
  auto other = ed25519_signer::generate();
  EXPECT_EQ(v.verify("e3", ts, other.sign("e3", kTs, kBody), kBody, kTs),
            reject_reason::bad_signature);
  EXPECT_EQ(v.verify("e1", ts, signer.sign("e1", kTs, kBody), kBody, kTs), reject_reason::replay);
}

// "a17" (built by appending: GCC 12 warns falsely on "a" + std::to_string(i)).
std::string id_of(char prefix, int i) {
  std::string id(1, prefix);
  id += std::to_string(i);
  return id;
}

TEST(SignatureVerifier, ReplayMemoryStaysAtItsCapAndForgetsExpiredIds) {
  verifier_options o;
  o.tolerance_s = 60;
  o.replay_capacity = 100;
  signature_verifier v(o);
  auto secret = webhook_secret::generate();
  v.add_secret(secret);
  hmac_signer s(secret);
  auto send = [&](const std::string& id, std::int64_t ts, std::int64_t now) {
    return v.verify(id, std::to_string(ts), s.sign(id, ts, "b"), "b", now);
  };
  const std::int64_t t0 = 1'700'000'000;
  for (int i = 0; i < 100; ++i) EXPECT_EQ(send(id_of('a', i), t0, t0), reject_reason::accepted);
  EXPECT_EQ(v.remembered(), 100u);
  // Full of unexpired ids: new ones are refused (fail closed), old ones are still replays.
  for (int i = 0; i < 50; ++i) {
    EXPECT_EQ(send(id_of('b', i), t0, t0 + 1), reject_reason::replay_memory_full);
  }
  EXPECT_EQ(send("a7", t0, t0 + 60), reject_reason::replay);
  EXPECT_EQ(v.remembered(), 100u);
  // Once t0's ids leave the tolerance they are forgotten, and room is made for new ones.
  // One id a second with a 60 s tolerance: 61 stay remembered, however long it runs.
  for (int i = 0; i < 1000; ++i) {
    const std::int64_t now = t0 + 61 + i;
    EXPECT_EQ(send(id_of('c', i), now, now), reject_reason::accepted) << i;
    EXPECT_LE(v.remembered(), 100u);
  }
  EXPECT_EQ(v.remembered(), 61u);
  // The expired id "a7" comes back only as too old, never as a delivery.
  EXPECT_EQ(send("a7", t0, t0 + 200), reject_reason::timestamp_too_old);
}

TEST(SignatureScheme, ParsesItsThreeNames) {
  EXPECT_EQ(parse_signature_scheme("hmac"), signature_scheme::hmac);
  EXPECT_EQ(parse_signature_scheme("ed25519"), signature_scheme::ed25519);
  EXPECT_EQ(parse_signature_scheme("none"), signature_scheme::none);
  EXPECT_EQ(to_string(signature_scheme::ed25519), "ed25519");
  EXPECT_THROW(parse_signature_scheme("rsa"), std::invalid_argument);
}

}  // namespace
}  // namespace hookbench::security
