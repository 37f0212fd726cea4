// The registration, the route and the counts that both webhook receivers share.
#include "consumer/webhook_receiver.hpp"

#include <stdexcept>
#include <string>

#include "core/parse.hpp"
#include "http/client.hpp"

namespace hookbench {

void register_subscriptions(const consumer_config& cfg, std::uint16_t port, bool batch,
                            webhook_signatures& signatures) {
  host_port advertised{cfg.advertise_host.empty() ? cfg.listen.host : cfg.advertise_host,
                       cfg.advertise_port ? cfg.advertise_port : port};
  if (advertised.host == "0.0.0.0") advertised.host = "127.0.0.1";
  if (advertised.host == "::") advertised.host = "::1";
  for (std::size_t k = 0; k < cfg.subscribers; ++k) {
    http_url url{advertised, "/hook/" + std::to_string(k), cfg.tls_server != nullptr};
    http::client_request req;
    req.method = "POST";
    req.target = "/subscriptions";
    req.headers = cfg.auth();
    nlohmann::json sub{{"url", url.to_string()}};
    if (batch) {
      sub["batch_window_ms"] = to_ms(cfg.tuning.batch_window);
      sub["batch_max"] = cfg.tuning.batch_max;
    }
    req.body = sub.dump();
    http::client_response res;
    auto ec = http::fetch(cfg.producer.address, req, res, cfg.request_timeout, cfg.tls_client);
    if (ec) {
      throw std::runtime_error("cannot register webhook with producer at " +
                               cfg.producer.address.to_string() + ": " + http::describe(ec));
    }
    if (res.status != 201) {
      throw std::runtime_error("producer refused webhook registration: HTTP " +
                               std::to_string(res.status) + " " + res.body);
    }
    signatures.add_subscriber(nlohmann::json::parse(res.body, nullptr, false));
  }
}

hook_route route_hook(const std::string& path, std::string_view method, std::size_t subscribers) {
  constexpr std::string_view prefix = "/hook/";
  if (!path.starts_with(prefix)) return {0, http::json_error(404, "no route for " + path)};
  std::size_t k = 0;
  try {
    k = static_cast<std::size_t>(parse_int(std::string_view(path).substr(prefix.size()), 0,
                                           static_cast<std::int64_t>(subscribers) - 1));
  } catch (const usage_error&) {
    return {0, http::json_error(404, "no subscriber " + path.substr(prefix.size()))};
  }
  if (method != "POST") {
    auto r = http::json_error(405, "webhooks are delivered with POST");
    r.headers.emplace_back("Allow", "POST");
    return {k, std::move(r)};
  }
  return {k, std::nullopt};
}

bool receiver_counts::count(delivery_tracker::outcome outcome) {
  switch (outcome) {
    case delivery_tracker::outcome::out_of_range:
      return false;
    case delivery_tracker::outcome::duplicate:
      ++duplicates;
      break;
    case delivery_tracker::outcome::outside_window:
      ++outside_window;
      break;
    case delivery_tracker::outcome::before_window:
      ++before_window;
      break;
    case delivery_tracker::outcome::first:
      break;
  }
  return true;
}

nlohmann::json receiver_counts::to_json(const webhook_signatures& signatures) const {
  nlohmann::json by_status = nlohmann::json::object();
  for (auto [status, n] : rejected) by_status[std::to_string(status)] = n;
  return {{"webhooks_received", received},
          {"failed", 0},
          {"malformed", malformed},
          {"out_of_range", out_of_range},
          {"outside_window", outside_window},
          {"before_window", before_window},
          {"duplicates", duplicates},
          {"rejected", by_status},
          {"signature", security::to_string(signatures.scheme())},
          {"rejected_by_reason", signatures.rejected_by_reason()},
          {"accepted_retries", signatures.accepted_retries()}};  // same id, newer timestamp
}

}  // namespace hookbench
