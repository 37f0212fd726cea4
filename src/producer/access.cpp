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

// ::ffff:a.b.c.d is a.b.c.d: the rules read the address the socket really reaches.
boost::asio::ip::address unmapped(const boost::asio::ip::address& a) {
  if (a.is_v6() && a.to_v6().is_v4_mapped()) {
    return boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, a.to_v6());
  }
  return a;
}

std::string refused_host(const std::string& host, const std::string& peer_address) {
  return "webhook target host " + host +
         " is not allowed: only loopback, the subscriber's own address (" +
         (peer_address.empty() ? std::string("unknown") : peer_address) +
         ") and serve --allow-hosts";
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

bool is_link_local(const boost::asio::ip::address& address) {
  const auto a = unmapped(address);
  if (a.is_v4()) return (a.to_v4().to_uint() & 0xffff0000u) == 0xa9fe0000u;  // 169.254/16
  return a.to_v6().is_link_local();                                          // fe80::/10
}

bool is_metadata_address(const boost::asio::ip::address& address) {
  static const boost::asio::ip::address known[] = {boost::asio::ip::make_address("169.254.169.254"),
                                                   boost::asio::ip::make_address("fd00:ec2::254"),
                                                   boost::asio::ip::make_address("100.100.100.200"),
                                                   boost::asio::ip::make_address("168.63.129.16")};
  const auto a = unmapped(address);
  for (const auto& m : known) {
    if (a == m) return true;
  }
  return false;
}

void check_tokens(const access_options& options) {
  for (const auto& t : options.tokens) {
    if (!options.control_token.empty() && t == options.control_token) {
      throw usage_error(
          "--token and --control-token (or $HOOKBENCH_TOKEN and $HOOKBENCH_CONTROL_TOKEN) are "
          "the same: give the control token a value of its own");
    }
  }
}

access_policy::access_policy(access_options options) : options_(std::move(options)) {
  check_tokens(options_);
  generated_token_ = options_.tokens.empty();
  generated_control_ = options_.control_token.empty();
  if (generated_token_) options_.tokens.push_back(security::random_token());
  if (generated_control_) options_.control_token = security::random_token();
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

bool access_policy::names(std::string_view host) const {
  for (const auto& allowed : options_.allow_hosts) {
    if (allowed == host) return true;
  }
  return false;
}

std::string access_policy::check_target(const host_port& target,
                                        const std::string& peer_address) const {
  const std::string& host = target.host;
  boost::system::error_code ec;
  const auto a = boost::asio::ip::make_address(host, ec);
  if (!ec) {
    const auto why = check_address(a, host, peer_address);
    return why.empty() ? why : why.substr(why.find(": ") + 2);  // the rule's name is for counts
  }
  if (is_loopback_host(host)) {
    if (is_loopback_host(peer_address)) return {};
    return "webhook target localhost is allowed only to a subscriber on loopback (this one is " +
           (peer_address.empty() ? std::string("unknown") : peer_address) + ")";
  }
  // A name: where it resolves is checked again when a delivery connects.
  if (names(host) || names("*")) return {};
  return refused_host(host, peer_address);
}

std::string access_policy::check_address(const boost::asio::ip::address& address,
                                         const std::string& host,
                                         const std::string& peer_address) const {
  const auto a = unmapped(address);
  const std::string text = a.to_string();
  // Only the address itself in --allow-hosts opens these: never "*" (an open allow-list must not
  // reach the instance's credentials), nor an allowed name (which could be rebound to them).
  if (is_metadata_address(a) || is_link_local(a)) {
    if (names(text)) return {};
    const bool metadata = is_metadata_address(a);
    return std::string(metadata ? "metadata" : "link-local") + ": webhook target " + text +
           " is a " + (metadata ? "cloud metadata" : "link-local") +
           " address, reached only when serve --allow-hosts names this address";
  }
  if (a.is_unspecified()) {
    return "unspecified: webhook target " + text + " is not an address to send to";
  }
  boost::system::error_code ec;
  const auto peer = peer_address.empty() ? boost::asio::ip::address()
                                         : boost::asio::ip::make_address(peer_address, ec);
  const bool peer_known = !peer_address.empty() && !ec;
  if (a.is_loopback()) {
    if (peer_known && unmapped(peer).is_loopback()) return {};
    return "loopback: webhook target " + text +
           " is loopback, allowed only to a subscriber on loopback (this one is " +
           (peer_known ? peer_address : std::string("unknown")) + ")";
  }
  if (peer_known && unmapped(peer) == a) return {};
  if (names(host) || names(text) || names("*")) return {};
  return "host: " + refused_host(host == text ? host : host + " (" + text + ")", peer_address);
}

}  // namespace hookbench
