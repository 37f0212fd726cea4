// Signed webhooks (security/signing.hpp): what the producer pays per POST to sign and what a
// receiver pays to check, symmetric (HMAC-SHA256, "v1,") against asymmetric (ed25519, "v1a,"),
// at payloads from 64 B to 64 KiB. Real hookbench code on OpenSSL 3.
//
//   sign_hmac/payload:N      hmac_signer::sign(): the webhook-signature value of one POST
//   sign_ed25519/payload:N   ed25519_signer::sign()
//   verify_hmac/payload:N    the receiver's check of one v1 entry: base64 decode, the MAC of
//                            id.timestamp.body, a constant-time compare
//   verify_ed25519/payload:N the same for one v1a entry: base64 decode, ed25519 verification
#include <benchmark/benchmark.h>

#include <string>

#include "security/signing.hpp"
#include "security/token.hpp"

namespace {

using namespace hookbench::security;

constexpr std::string_view kId = "msg_123456";
constexpr std::int64_t kTimestamp = 1'700'000'000;

std::string body_of(std::int64_t n) {
  std::string body(static_cast<std::size_t>(n), 'x');
  for (std::size_t i = 0; i < body.size(); ++i) body[i] = static_cast<char>('a' + i % 26);
  return body;
}

void sign_hmac(benchmark::State& state) {
  const std::string body = body_of(state.range(0));
  const auto secret = webhook_secret::generate();
  hmac_signer signer(secret);
  for (auto _ : state) {
    std::string header = signer.sign(kId, kTimestamp, body);
    benchmark::DoNotOptimize(header.data());
  }
  signature_verifier check;
  check.add_secret(secret);
  if (check.verify(kId, std::to_string(kTimestamp), signer.sign(kId, kTimestamp, body), body,
                   kTimestamp) != reject_reason::accepted) {
    state.SkipWithError("the HMAC signature does not verify");
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * state.range(0));
}

void sign_ed25519(benchmark::State& state) {
  const std::string body = body_of(state.range(0));
  auto signer = ed25519_signer::generate();
  for (auto _ : state) {
    std::string header = signer.sign(kId, kTimestamp, body);
    benchmark::DoNotOptimize(header.data());
  }
  if (!signer.public_key().verify(kId, kTimestamp, body, signer.signature(kId, kTimestamp, body))) {
    state.SkipWithError("the ed25519 signature does not verify");
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * state.range(0));
}

void verify_hmac(benchmark::State& state) {
  const std::string body = body_of(state.range(0));
  const auto secret = webhook_secret::generate();
  hmac_signer receiver(secret);
  const std::string header = hmac_signer(secret).sign(kId, kTimestamp, body);
  for (auto _ : state) {
    const auto sig = base64_decode(std::string_view(header).substr(3));
    const bool ok = sig && constant_time_equal(receiver.mac(kId, kTimestamp, body), *sig);
    if (!ok) {
      state.SkipWithError("the HMAC signature does not verify");
      break;
    }
    benchmark::DoNotOptimize(ok);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * state.range(0));
}

void verify_ed25519(benchmark::State& state) {
  const std::string body = body_of(state.range(0));
  auto signer = ed25519_signer::generate();
  const auto key = ed25519_public_key::parse(signer.public_key().to_string());
  const std::string header = signer.sign(kId, kTimestamp, body);
  for (auto _ : state) {
    const auto sig = base64_decode(std::string_view(header).substr(4));
    const bool ok = sig && key.verify(kId, kTimestamp, body, *sig);
    if (!ok) {
      state.SkipWithError("the ed25519 signature does not verify");
      break;
    }
    benchmark::DoNotOptimize(ok);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * state.range(0));
}

void payloads(benchmark::internal::Benchmark* b) {
  b->ArgName("payload");
  for (int n : {64, 1024, 16 * 1024, 64 * 1024}) b->Arg(n);
}

BENCHMARK(sign_hmac)->Apply(payloads);
BENCHMARK(sign_ed25519)->Apply(payloads);
BENCHMARK(verify_hmac)->Apply(payloads);
BENCHMARK(verify_ed25519)->Apply(payloads);

}  // namespace
