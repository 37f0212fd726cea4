// What a hostile webhook-signature header can make a receiver spend: a header as large as the
// server takes, full of well-formed ed25519 entries, is refused before any verify, and a few
// entries cost one verify per key and distinct signature. Counted with the verifier's
// signature_checks(); the CPU ratio is checked too, with a wide bound.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <string>

#include "http/server.hpp"
#include "security/signing.hpp"

namespace hookbench::security {
namespace {

constexpr std::int64_t kNow = 1'700'000'000;
const std::string kBody(64 * 1024, 'b');  // the largest body the receiver's default takes

// "v1a,<base64>" entries, space-separated, filling `bytes`: well-formed, none by our key.
std::string header_of_entries(std::size_t bytes) {
  const std::string entry = "v1a," + base64_encode(std::string(64, '\x5a'));
  std::string h;
  while (h.size() + entry.size() + 1 <= bytes) h += (h.empty() ? "" : " ") + entry;
  return h;
}

TEST(signature_cost, a_header_full_of_entries_is_refused_before_any_verify) {
  auto signer = ed25519_signer::generate();
  signature_verifier v;
  v.add_public_key(signer.public_key());
  const std::string header = header_of_entries(http::server_options{}.header_limit);
  ASSERT_GT(header.size(), 16000u);
  EXPECT_EQ(v.verify("msg_1", std::to_string(kNow), header, kBody, kNow),
            reject_reason::too_many_signatures);
  EXPECT_EQ(v.signature_checks(), 0u);
  EXPECT_EQ(to_string(reject_reason::too_many_signatures), "too-many-signatures");

  // The cap itself is accepted, and costs one verify per distinct signature and key.
  std::string eight;
  for (std::size_t i = 0; i < kMaxSignatureEntries - 1; ++i) {
    eight += "v1a," + base64_encode(std::string(64, static_cast<char>('a' + i % 2))) + " ";
  }
  eight += signer.sign("msg_2", kNow, kBody);
  EXPECT_EQ(v.verify("msg_2", std::to_string(kNow), eight, kBody, kNow), reject_reason::accepted);
  EXPECT_EQ(v.signature_checks(), 3u);  // two distinct junk signatures, then the real one
}

TEST(signature_cost, rejecting_the_largest_header_costs_less_than_two_verifies) {
  auto signer = ed25519_signer::generate();
  signature_verifier v;
  v.add_public_key(signer.public_key());
  const std::string full = header_of_entries(http::server_options{}.header_limit);
  // One entry that takes a whole verify: a real signature, over another message.
  const std::string one = signer.sign("msg_other", kNow, kBody);
  constexpr int kLoops = 200;
  using clock = std::chrono::steady_clock;
  auto cost = [&](const std::string& header) {
    const auto t0 = clock::now();
    for (int i = 0; i < kLoops; ++i) {
      (void)v.verify("msg_" + std::to_string(i), std::to_string(kNow), header, kBody, kNow);
    }
    return std::chrono::duration<double>(clock::now() - t0).count();
  };
  const double one_verify = cost(one);
  const std::uint64_t checks_before = v.signature_checks();
  const double full_reject = cost(full);
  EXPECT_EQ(v.signature_checks(), checks_before);
  std::printf(
      "[measure] %d rejections of a %zu-byte header: %.6f s; %d one-entry verifies: %.6f s\n",
      kLoops, full.size(), full_reject, kLoops, one_verify);
  EXPECT_LT(full_reject, 2 * one_verify)
      << "full header: " << full_reject << " s, one verify: " << one_verify << " s per " << kLoops;
}

}  // namespace
}  // namespace hookbench::security
