// Reading webhooks.json: every field checked, every refusal one line.
#include "producer/webhook_state_file.hpp"

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>

namespace hookbench {
namespace {

// A whole number of the file, or `fallback` when absent. Read only as an integer: a float such
// as 1e300 (which the JSON parser keeps as a double) converted to an integer is undefined.
std::int64_t integer_field(const nlohmann::json& j, const char* key,
                           std::optional<std::int64_t> fallback = std::nullopt) {
  const auto it = j.find(key);
  if (it == j.end()) {
    if (fallback) return *fallback;
    throw std::runtime_error(std::string("no \"") + key + "\"");
  }
  if (it->is_number_unsigned() && it->get<std::uint64_t>() <= INT64_MAX) {
    return static_cast<std::int64_t>(it->get<std::uint64_t>());
  }
  if (it->is_number_integer() && !it->is_number_unsigned()) return it->get<std::int64_t>();
  throw std::runtime_error(std::string("\"") + key + "\" is not a whole number");
}

std::uint64_t count_field(const nlohmann::json& j, const char* key) {
  const auto v = integer_field(j, key);
  if (v < 0) throw std::runtime_error(std::string("\"") + key + "\" is negative");
  return static_cast<std::uint64_t>(v);
}

}  // namespace

saved_webhook_state parse_webhook_state(
    std::string_view text, security::signature_scheme scheme,
    const std::function<std::string(std::string_view token)>& hash_owner) {
  const auto j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_object() || !j.contains("subscriptions") || !j["subscriptions"].is_array()) {
    throw std::runtime_error("not a state file (no \"subscriptions\" array)");
  }
  const auto signature = j.value("signature", nlohmann::json()).is_string()
                             ? j["signature"].get<std::string>()
                             : std::string("?");
  if (signature != security::to_string(scheme)) {
    throw std::runtime_error("written with --signature " + signature.substr(0, 40) +
                             ", this producer signs with " +
                             std::string(security::to_string(scheme)));
  }
  saved_webhook_state out;
  try {
    out.max_timestamp = integer_field(j, "max_timestamp", 0);
    out.next_id = j.contains("next_id") ? count_field(j, "next_id") : 0;
    if (out.max_timestamp < 0 || out.max_timestamp > 253'402'300'799) {
      throw std::runtime_error("max_timestamp is not a time");
    }
    if (scheme == security::signature_scheme::ed25519) {
      out.ed25519_secret_key = j.at("ed25519_secret_key").get<std::string>();
      (void)security::ed25519_signer::parse(out.ed25519_secret_key);  // throws when malformed
    }
    for (const auto& item : j["subscriptions"]) {
      saved_subscription s;
      if (!item.is_object()) throw std::runtime_error("a subscription is not an object");
      s.id = count_field(item, "id");
      if (!out.subscriptions.empty() && s.id <= out.subscriptions.back().id)
        throw std::runtime_error("subscription ids are not increasing");
      s.url = parse_http_url(item.at("url").get<std::string>());
      if (item.contains("owner_hash")) {
        s.owner = item.at("owner_hash").get<std::string>();
      } else if (const auto owner = item.value("owner", std::string()); !owner.empty()) {
        s.owner = hash_owner(owner);
      }
      s.peer = item.value("peer", std::string());
      s.secret = security::webhook_secret::parse(item.at("secret").get<std::string>());
      s.batch = {integer_field(item, "batch_window_ns"), count_field(item, "batch_max")};
      if (s.batch.window < 0 || s.batch.window > 60 * kNanosPerSecond || s.batch.max < 1 ||
          s.batch.max > 10'000) {
        throw std::runtime_error("subscription " + std::to_string(s.id) +
                                 ": batching out of range");
      }
      s.active = item.value("active", true);
      s.gone = item.value("gone", false);
      s.delivered_through = count_field(item, "delivered_through");
      out.subscriptions.push_back(std::move(s));
    }
    // Ids are never reused: a file whose next id is not above every id it holds was not written
    // by a producer (absent, it is taken from the ids).
    if (j.contains("next_id") && !out.subscriptions.empty() &&
        out.next_id <= out.subscriptions.back().id) {
      throw std::runtime_error("next_id " + std::to_string(out.next_id) +
                               " is not above subscription id " +
                               std::to_string(out.subscriptions.back().id));
    }
  } catch (const nlohmann::json::exception& e) {
    throw std::runtime_error(e.what());
  } catch (const std::invalid_argument& e) {
    throw std::runtime_error(e.what());
  } catch (const usage_error& e) {
    throw std::runtime_error(e.what());
  }
  return out;
}

}  // namespace hookbench
