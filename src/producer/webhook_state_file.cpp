// Reading webhooks.json: every field checked, every refusal one line.
#include "producer/webhook_state_file.hpp"

#include <nlohmann/json.hpp>
#include <stdexcept>

namespace hookbench {

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
    out.max_timestamp = j.value("max_timestamp", std::int64_t{0});
    if (out.max_timestamp < 0 || out.max_timestamp > 253'402'300'799) {
      throw std::runtime_error("max_timestamp is not a time");
    }
    if (scheme == security::signature_scheme::ed25519) {
      out.ed25519_secret_key = j.at("ed25519_secret_key").get<std::string>();
      (void)security::ed25519_signer::parse(out.ed25519_secret_key);  // throws when malformed
    }
    for (const auto& item : j["subscriptions"]) {
      saved_subscription s;
      s.id = item.at("id").get<std::size_t>();
      if (s.id != out.subscriptions.size())
        throw std::runtime_error("subscription ids are not 0, 1, ...");
      s.url = parse_http_url(item.at("url").get<std::string>());
      if (item.contains("owner_hash")) {
        s.owner = item.at("owner_hash").get<std::string>();
      } else if (const auto owner = item.value("owner", std::string()); !owner.empty()) {
        s.owner = hash_owner(owner);
      }
      s.peer = item.value("peer", std::string());
      s.secret = security::webhook_secret::parse(item.at("secret").get<std::string>());
      s.batch = {item.at("batch_window_ns").get<nanos>(), item.at("batch_max").get<std::size_t>()};
      if (s.batch.window < 0 || s.batch.window > 60 * kNanosPerSecond || s.batch.max < 1 ||
          s.batch.max > 10'000) {
        throw std::runtime_error("subscription " + std::to_string(s.id) +
                                 ": batching out of range");
      }
      s.active = item.at("active").get<bool>();
      s.gone = item.value("gone", false);
      s.delivered_through = item.at("delivered_through").get<seq_t>();
      out.subscriptions.push_back(std::move(s));
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
