// What API token holders hold open on the producer (parked long-polls, event streams, queued
// webhook deliveries, subscriptions), counted per token and for the whole process, each kind
// under two caps. Past a cap the request is refused with a one-line reason that names the option
// to change, and the refusal is counted by reason (the producer's report, "refusals"), so that
// one careless or hostile token cannot take all of the producer's memory or descriptors.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <unordered_map>

namespace hookbench {

class option_parser;

enum class holding_kind { long_poll, stream, webhook_delivery, subscription };
inline constexpr std::size_t kHoldingKinds = 4;

struct holding_cap {
  std::size_t per_token = 0;
  std::size_t per_process = 0;
};

// The defaults leave room for the largest runs with one token (run and sweep take up to
// 100 000 subscribers; the teaching and social scenarios use up to 500, the many-connection
// tests 10 000): twice 10 000 per token, so that readers that reconnect (a stream's lifetime
// ending, a long-poll answered) overlap their old connection; the process caps keep what one
// kind may take within the producer's --max-connections (50 000) and a few GB of memory.
struct holding_caps {
  holding_cap long_polls{20'000, 50'000};
  holding_cap streams{20'000, 50'000};  // SSE and WebSocket together
  // About 150 bytes each while queued: 8 million is ~1.2 GB, 4 million per token is 400 waiting
  // deliveries for each of 10 000 subscribers.
  holding_cap webhook_deliveries{4'000'000, 8'000'000};
  // Each holds a pool of up to --webhook-concurrency connections to its receiver.
  holding_cap subscriptions{20'000, 50'000};

  // --max-long-polls, --max-streams, --max-queued-webhooks, --max-subscriptions and their
  // -total (per process) forms.
  void add_options(option_parser& p);
  nlohmann::json to_json() const;
  void to_document(nlohmann::json& d) const;  // serve --config keys (the flag names)
};

class holdings : public std::enable_shared_from_this<holdings> {
 public:
  explicit holdings(holding_caps caps) : caps_(caps) {}

  // One unit taken for `owner` while this lives (moved, never copied); empty when refused.
  class holding {
   public:
    holding() = default;
    holding(holding&& o) noexcept { *this = std::move(o); }
    holding& operator=(holding&& o) noexcept;
    holding(const holding&) = delete;
    holding& operator=(const holding&) = delete;
    ~holding() { release(); }
    explicit operator bool() const { return !from_.expired(); }
    void release();

   private:
    friend class holdings;
    // Weak: the producer may be gone by the time a connection's last handler is destroyed.
    std::weak_ptr<holdings> from_;
    holding_kind kind_ = holding_kind::long_poll;
    std::string owner_;
  };

  // Takes one `kind` for `owner`: the holding, or an empty one and `why` set (and counted);
  // `per_token`, when given, tells whether the token's own cap refused it.
  holding hold(holding_kind kind, const std::string& owner, std::string& why,
               bool* per_token = nullptr);
  // Takes one whatever the caps (subscriptions restored after a restart).
  holding claim(holding_kind kind, const std::string& owner);
  // Counted by hand, for what is too many to hold one by one (queued deliveries): empty when
  // taken, else the reason (counted).
  std::string take(holding_kind kind, const std::string& owner, bool* per_token = nullptr);
  void give_back(holding_kind kind, const std::string& owner, std::size_t n = 1);

  std::size_t held(holding_kind kind) const { return of(kind).total; }
  std::size_t held(holding_kind kind, const std::string& owner) const;
  // Reason -> refusals, every reason present ("long-polls-per-token", ...).
  nlohmann::json refusals() const;
  // Kind -> held now, for the whole process.
  nlohmann::json held_json() const;

 private:
  struct counts {
    std::unordered_map<std::string, std::size_t> by_owner;  // entries at 0 are removed
    std::size_t total = 0;
    std::uint64_t refused_token = 0, refused_process = 0;
  };
  counts& of(holding_kind k) { return counts_[static_cast<std::size_t>(k)]; }
  const counts& of(holding_kind k) const { return counts_[static_cast<std::size_t>(k)]; }
  const holding_cap& cap(holding_kind k) const;

  holding_caps caps_;
  std::array<counts, kHoldingKinds> counts_;
};

}  // namespace hookbench
