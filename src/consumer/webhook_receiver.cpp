// The registration, the route and the counts that both webhook receivers share.
#include "consumer/webhook_receiver.hpp"

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/parse.hpp"
#include "http/client.hpp"

namespace hookbench {

// Over a few kept-alive connections at once, in any order, the answers then taken in the
// subscribers' order: a connection per registration would leave an ephemeral port in TIME_WAIT
// for each, and run out near 28 000 subscribers. Each request is bounded by the request timeout.
void register_subscriptions(const consumer_config& cfg, std::uint16_t port, bool batch,
                            webhook_signatures& signatures) {
  host_port advertised{cfg.advertise_host.empty() ? cfg.listen.host : cfg.advertise_host,
                       cfg.advertise_port ? cfg.advertise_port : port};
  if (advertised.host == "0.0.0.0") advertised.host = "127.0.0.1";
  if (advertised.host == "::") advertised.host = "::1";
  constexpr std::size_t kParallel = 8;
  boost::asio::io_context ioc;
  http::client_options co;
  co.keep_alive = true;
  co.timeout = cfg.request_timeout;
  co.tls = cfg.tls_client;
  std::vector<nlohmann::json> answers(cfg.subscribers);
  std::size_t next = 0;
  std::string failure;
  std::vector<std::unique_ptr<http::client_connection>> connections;
  std::function<void(http::client_connection&)> send_next = [&](http::client_connection& c) {
    if (!failure.empty() || next >= cfg.subscribers) return;
    const std::size_t k = next++;
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
    c.async_send(std::move(req), [&, k](boost::system::error_code ec, http::client_response&& res) {
      if (!failure.empty()) return;
      if (ec) {
        failure = "cannot register webhook with producer at " + cfg.producer.address.to_string() +
                  ": " + http::describe(ec);
      } else if (res.status != 201) {
        failure = "producer refused webhook registration: HTTP " + std::to_string(res.status) +
                  " " + res.body;
      } else {
        answers[k] = nlohmann::json::parse(res.body, nullptr, false);
        send_next(c);
      }
    });
  };
  for (std::size_t i = 0; i < std::min(kParallel, cfg.subscribers); ++i) {
    connections.push_back(std::make_unique<http::client_connection>(ioc, cfg.producer.address, co));
    send_next(*connections.back());
  }
  ioc.run();
  for (auto& c : connections) c->close();
  if (!failure.empty()) throw std::runtime_error(failure);
  for (const auto& answer : answers) signatures.add_subscriber(answer);
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
