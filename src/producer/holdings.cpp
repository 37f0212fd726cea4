// Per-token and per-process counts of what token holders hold open, their caps and refusals.
#include "producer/holdings.hpp"

#include <nlohmann/json.hpp>

#include "core/cli.hpp"

namespace hookbench {
namespace {

struct kind_names {
  const char* what;    // in a refusal: "parked long-polls"
  const char* key;     // in the report: "long_polls"
  const char* reason;  // a refusal's key: "long-polls"
  const char* option;  // the per-token flag; "-total" is the per-process one
};

constexpr std::array<kind_names, kHoldingKinds> kNames{{
    {"parked long-polls", "long_polls", "long-polls", "--max-long-polls"},
    {"open event streams (SSE and WebSocket)", "streams", "streams", "--max-streams"},
    {"queued webhook deliveries", "webhook_deliveries", "webhook-queue", "--max-queued-webhooks"},
    {"subscriptions", "subscriptions", "subscriptions", "--max-subscriptions"},
}};

const kind_names& names(holding_kind k) { return kNames[static_cast<std::size_t>(k)]; }

}  // namespace

void holding_caps::add_options(option_parser& p) {
  const auto add = [&p](holding_cap& cap, holding_kind k, const char* help_token,
                        const std::string& default_token, const char* help_process,
                        const std::string& default_process, std::int64_t max) {
    const std::string option = names(k).option;
    p.add_count(option, "N", help_token, default_token, cap.per_token, 1, max)
        .add_count(option + "-total", "N", help_process, default_process, cap.per_process, 1, max);
  };
  add(long_polls, holding_kind::long_poll, "parked long-polls one token may hold; past it 429",
      "20000", "parked long-polls in all; past it 429", "50000", 10'000'000);
  add(streams, holding_kind::stream,
      "open SSE and WebSocket streams one token may hold; past it 429", "20000",
      "open SSE and WebSocket streams in all; past it 429", "50000", 10'000'000);
  add(webhook_deliveries, holding_kind::webhook_delivery,
      "webhook deliveries queued for one token's subscriptions; past it\n"
      "                            the event is a dead letter (queue-full)",
      "4000000", "webhook deliveries queued in all (as above)", "8000000", 1'000'000'000);
  add(subscriptions, holding_kind::subscription,
      "webhook subscriptions one token may hold; past it 403", "20000",
      "webhook subscriptions in all; past it 429", "50000", 10'000'000);
}

nlohmann::json holding_caps::to_json() const {
  nlohmann::json j = nlohmann::json::object();
  for (auto [k, cap] : {std::pair{holding_kind::long_poll, &long_polls},
                        {holding_kind::stream, &streams},
                        {holding_kind::webhook_delivery, &webhook_deliveries},
                        {holding_kind::subscription, &subscriptions}}) {
    j[names(k).key] = {{"per_token", cap->per_token}, {"per_process", cap->per_process}};
  }
  return j;
}

void holding_caps::to_document(nlohmann::json& d) const {
  for (auto [k, cap] : {std::pair{holding_kind::long_poll, &long_polls},
                        {holding_kind::stream, &streams},
                        {holding_kind::webhook_delivery, &webhook_deliveries},
                        {holding_kind::subscription, &subscriptions}}) {
    const std::string option = std::string(names(k).option).substr(2);  // without "--"
    d[option] = cap->per_token;
    d[option + "-total"] = cap->per_process;
  }
}

holdings::holding& holdings::holding::operator=(holding&& o) noexcept {
  if (this != &o) {
    release();
    from_ = std::move(o.from_);
    o.from_.reset();
    kind_ = o.kind_;
    owner_ = std::move(o.owner_);
  }
  return *this;
}

void holdings::holding::release() {
  if (auto h = from_.lock()) h->give_back(kind_, owner_);
  from_.reset();
}

const holding_cap& holdings::cap(holding_kind k) const {
  switch (k) {
    case holding_kind::long_poll:
      return caps_.long_polls;
    case holding_kind::stream:
      return caps_.streams;
    case holding_kind::webhook_delivery:
      return caps_.webhook_deliveries;
    case holding_kind::subscription:
      break;
  }
  return caps_.subscriptions;
}

std::string holdings::take(holding_kind kind, const std::string& owner, bool* per_token) {
  counts& c = of(kind);
  const holding_cap& limit = cap(kind);
  const auto& n = names(kind);
  auto it = c.by_owner.find(owner);
  const std::size_t mine = it == c.by_owner.end() ? 0 : it->second;
  if (per_token) *per_token = mine >= limit.per_token;
  if (mine >= limit.per_token) {
    ++c.refused_token;
    return "this token already holds " + std::to_string(mine) + " " + n.what +
           ", the most one token may (serve " + n.option + ")";
  }
  if (c.total >= limit.per_process) {
    ++c.refused_process;
    return "the producer already holds " + std::to_string(c.total) + " " + n.what +
           ", the most it takes (serve " + n.option + "-total)";
  }
  if (it == c.by_owner.end()) it = c.by_owner.emplace(owner, 0).first;
  ++it->second;
  ++c.total;
  return {};
}

void holdings::give_back(holding_kind kind, const std::string& owner, std::size_t n) {
  counts& c = of(kind);
  auto it = c.by_owner.find(owner);
  if (it == c.by_owner.end()) return;
  const std::size_t k = std::min(n, it->second);
  it->second -= k;
  c.total -= k;
  if (it->second == 0) c.by_owner.erase(it);
}

holdings::holding holdings::hold(holding_kind kind, const std::string& owner, std::string& why,
                                 bool* per_token) {
  holding h;
  why = take(kind, owner, per_token);
  if (!why.empty()) return h;
  h.from_ = weak_from_this();
  h.kind_ = kind;
  h.owner_ = owner;
  return h;
}

holdings::holding holdings::claim(holding_kind kind, const std::string& owner) {
  counts& c = of(kind);
  ++c.by_owner[owner];
  ++c.total;
  holding h;
  h.from_ = weak_from_this();
  h.kind_ = kind;
  h.owner_ = owner;
  return h;
}

std::size_t holdings::held(holding_kind kind, const std::string& owner) const {
  const auto& m = of(kind).by_owner;
  auto it = m.find(owner);
  return it == m.end() ? 0 : it->second;
}

nlohmann::json holdings::refusals() const {
  nlohmann::json j = nlohmann::json::object();
  for (std::size_t i = 0; i < kHoldingKinds; ++i) {
    j[std::string(kNames[i].reason) + "-per-token"] = counts_[i].refused_token;
    j[std::string(kNames[i].reason) + "-per-process"] = counts_[i].refused_process;
  }
  return j;
}

nlohmann::json holdings::held_json() const {
  nlohmann::json j = nlohmann::json::object();
  for (std::size_t i = 0; i < kHoldingKinds; ++i) j[kNames[i].key] = counts_[i].total;
  return j;
}

}  // namespace hookbench
