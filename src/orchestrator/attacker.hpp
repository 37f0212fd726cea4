// The third party of `run --attack F`: alongside the real deliveries it sends the consumer's
// webhook receiver forged, tampered, replayed, expired and unsigned POSTs, F times the event
// rate in all, during the measured window. It plays an on-path observer that has read some
// real deliveries (the consumer's --tap file: each accepted delivery it samples, with its
// webhook-* headers, as it arrived): replays and tampering start from those. It runs on its own
// thread in the orchestrator, a process apart from both sides, so its own cost is in neither
// side's CPU.
//
//   forged    a new webhook-id, a current timestamp, a real body, a random v1 signature
//   tampered  a captured delivery with one byte of its body changed
//   replayed  a captured delivery sent again unchanged (after the original was accepted)
//   expired   a captured delivery with its timestamp moved 10 minutes back
//   unsigned  a captured body without any webhook-* header
//   oversized-signature  a captured delivery, current timestamp, 200 random v1 entries in its
//             webhook-signature (what a receiver that tries them all spends CPU on)
//   cross-subscription   a delivery captured at one subscriber sent unchanged to another's
//             receiver path (ed25519 shares one key: only the webhook-id tells them apart);
//             taken only with two subscribers or more
//   crlf-url  a second token holder registers a webhook URL whose target carries CR LF and a
//             smuggled request, at the producer (refused there with 400)
#pragma once

#include <atomic>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "core/clock.hpp"
#include "core/parse.hpp"
#include "http/tls.hpp"

namespace hookbench {

struct attack_config {
  double rate = 0;  // attack requests per second, all kinds together
  host_port receiver;
  host_port producer;          // crlf-url registers here ...
  std::string producer_token;  // ... with this API token (not the consumer's)
  std::size_t subscribers = 1;
  std::string tap_path;  // JSON lines appended by the consumer (client --tap)
  nanos start_ns = 0;    // attack from here (monotonic) ...
  nanos end_ns = 0;      // ... to here
  nanos request_timeout = 2 * kNanosPerSecond;
  http::tls_context tls;  // run --tls: the receiver is HTTPS (the attacker trusts its CA too)
};

// The kinds, in the order they take turns (cross-subscription only with two subscribers or more).
const std::vector<std::string>& attack_kinds();
std::vector<std::string> attack_kinds(std::size_t subscribers);

class attacker {
 public:
  explicit attacker(attack_config config);
  ~attacker();
  attacker(const attacker&) = delete;
  attacker& operator=(const attacker&) = delete;

  void start();
  // Stops (at once if the window has not ended) and returns what was sent and answered:
  // {"rate", "sent": {kind: n}, "answers": {kind: {status: n}}, "accepted": n (2xx answers:
  // must be 0 for a signed receiver), "failed": n (no answer), "failures": {why: n},
  // "captured": n, "refused_by_producer": {reason: n} (crlf-url's 400s, by their error)}.
  nlohmann::json stop();

 private:
  struct captured {
    std::string path, id, timestamp, signature, body;
  };
  void run();
  void read_tap();
  void send_one(const std::string& kind);
  void register_crlf_url();

  attack_config config_;
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  std::vector<captured> captured_;
  std::size_t tap_offset_ = 0;
  std::string tap_partial_;
  std::map<std::string, std::uint64_t> sent_;
  std::map<std::string, std::map<unsigned, std::uint64_t>> answers_;
  std::uint64_t accepted_ = 0, failed_ = 0, forged_ids_ = 0;
  std::map<std::string, std::uint64_t> failures_;  // why requests got no answer
  std::map<std::string, std::uint64_t> producer_refusals_;
  std::vector<std::string> kinds_;
};

// The run's "attack" block: what the attacker sent and was answered, beside what the receiver
// rejected by reason and the CPU its rejections took (the consumer report's "traffic").
nlohmann::json attack_outcome(nlohmann::json sent, const nlohmann::json& consumer_report);

}  // namespace hookbench
