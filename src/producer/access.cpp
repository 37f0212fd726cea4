#include "producer/access.hpp"

#include <boost/asio/ip/address.hpp>

#include "security/token.hpp"

namespace hookbench {
namespace {

http::response unauthorized(std::string message) {
  auto r = http::json_error(401, std::move(message));
  r.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"hookbench\"");
  return r;
}

bool is_control_read(std::string_view path) {
  return path == "/control/ping" || path == "/control/window";
}

}  // namespace

bool is_loopback_host(std::string_view host) {
  if (host == "localhost") return true;
  boost::system::error_code ec;
  auto a = boost::asio::ip::make_address(std::string(host), ec);
  if (ec) return false;
  if (a.is_v6() && a.to_v6().is_v4_mapped()) {
    return a.to_v6().to_v4().is_loopback();  // ::ffff:127.0.0.1
  }
  return a.is_loopback();
}

access_policy::access_policy(access_options options) : options_(std::move(options)) {
  if (options_.tokens.empty()) options_.tokens.push_back(security::random_token());
  if (options_.control_token.empty()) options_.control_token = security::random_token();
}

bool access_policy::is_api_token(std::string_view token) const {
  // Every token is compared, so the time taken does not say which one came close.
  bool found = false;
  for (const auto& t : options_.tokens) found |= security::constant_time_equal(token, t);
  return found;
}

std::optional<http::response> access_policy::check(const http::request& req) const {
  const std::string authorization = req.header("authorization");
  const auto token = security::bearer_token(authorization);
  const std::string path = req.path();
  if (token.empty()) {
    return unauthorized(authorization.empty()
                            ? "missing Authorization: Bearer <token> (serve prints it as \"token\")"
                            : "Authorization is not a Bearer token");
  }
  const bool control = security::constant_time_equal(token, options_.control_token);
  if (path.starts_with("/control/")) {
    if (control || (is_control_read(path) && is_api_token(token))) return std::nullopt;
    return unauthorized(path + " needs the control token");
  }
  if (is_api_token(token)) return std::nullopt;
  return unauthorized(control ? "the control token is not an API token" : "wrong bearer token");
}

std::string access_policy::owner(const http::request& req) const {
  return std::string(security::bearer_token(req.header("authorization")));
}

std::string access_policy::check_target(const host_port& target,
                                        const std::string& peer_address) const {
  const std::string& host = target.host;
  if (is_loopback_host(host)) return {};
  for (const auto& allowed : options_.allow_hosts) {
    if (allowed == "*" || allowed == host) return {};
  }
  boost::system::error_code ec;
  const auto a = boost::asio::ip::make_address(host, ec);
  if (!ec && !peer_address.empty()) {
    const auto peer = boost::asio::ip::make_address(peer_address, ec);
    if (!ec && peer == a) return {};
  }
  return "webhook target host " + host +
         " is not allowed: only loopback, the subscriber's own address (" +
         (peer_address.empty() ? std::string("unknown") : peer_address) +
         ") and serve --allow-hosts";
}

}  // namespace hookbench
