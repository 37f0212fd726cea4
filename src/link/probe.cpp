// Round trips through a link (or straight to the producer), for the result's "link" block.
#include "link/probe.hpp"

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <functional>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "http/client.hpp"
#include "http/headers.hpp"

namespace hookbench {

std::vector<nanos> ping_round_trips(const host_port& target, const std::string& token,
                                    const http::tls_context& tls, std::size_t count) {
  boost::asio::io_context ioc(1);
  http::client_options options;
  options.tls = tls;
  http::client_connection conn(ioc, target, options);
  std::vector<nanos> samples;
  std::string failure;
  // One more than asked: the first exchange connects (and shakes hands), which is not a
  // round trip of an open connection.
  std::function<void()> step = [&] {
    const nanos sent = now_ns();
    http::client_request req{"GET", "/control/ping", {}, {}, {}};
    http::add_bearer(req.headers, token);
    conn.async_send(std::move(req),
                    [&, sent](boost::system::error_code ec, http::client_response&& r) {
                      if (ec) {
                        failure = http::describe(ec);
                      } else if (r.status != 200) {
                        failure = "HTTP " + std::to_string(r.status);
                      } else {
                        samples.push_back(now_ns() - sent);
                        if (samples.size() < count + 1) step();
                      }
                    });
  };
  step();
  ioc.run();
  conn.close();
  if (!failure.empty()) {
    throw std::runtime_error("GET /control/ping via " + target.to_string() + ": " + failure);
  }
  samples.erase(samples.begin());
  return samples;
}

nlohmann::json round_trip_summary(std::vector<nanos> samples) {
  if (samples.empty()) return {{"count", 0}};
  std::sort(samples.begin(), samples.end());
  const auto n = samples.size();
  // The median; of an even count, the mean of the middle two.
  const double p50 =
      n % 2 ? to_us(samples[n / 2]) : (to_us(samples[n / 2 - 1]) + to_us(samples[n / 2])) / 2;
  return {
      {"count", n}, {"min", to_us(samples.front())}, {"p50", p50}, {"max", to_us(samples.back())}};
}

}  // namespace hookbench
