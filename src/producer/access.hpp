// Who may use the producer's API, and where it may be told to send webhooks.
//   - Pulls, streams and subscription calls carry "Authorization: Bearer <token>" with one of the
//     API tokens (serve --token, repeatable; one is generated when none is given).
//   - /control/start, /control/report and /control/shutdown need the control token;
//     /control/ping and /control/window (clock and window, which a consumer reads) take either.
//   - A webhook target must be the registering peer's own address, loopback when that peer is
//     itself on loopback, or a host named by --allow-hosts ("*" allows any host, but never a
//     link-local or cloud metadata address: those only when named). The same rules hold for
//     the address a name resolves to when a delivery connects (check_address), so a name cannot
//     be rebound to what it could not name. How many subscriptions a token may hold is
//     producer/holdings.hpp's.
// A refusal is a 401 or 403 whose body says what was wrong.
#pragma once

#include <boost/asio/ip/address.hpp>
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "core/parse.hpp"
#include "http/message.hpp"

namespace hookbench {

struct access_options {
  std::vector<std::string> tokens;  // API tokens; empty: one is generated
  std::string control_token;        // empty: one is generated
  std::vector<std::string> allow_hosts;
};

// Throws usage_error when an API token equals the control token: every holder of that API token
// would then control the run.
void check_tokens(const access_options& options);

class access_policy {
 public:
  // Generates the tokens not given (throws std::runtime_error if the CSPRNG fails); refuses
  // (usage_error) an API token equal to the control token: it would make every holder of the
  // API token a controller.
  explicit access_policy(access_options options);

  // The refusal for a request that may not use its route, or nothing when it may.
  std::optional<http::response> check(const http::request& req) const;
  // The API token the request carries (already checked): the owner of what it creates.
  std::string owner(const http::request& req) const;
  // Empty when a webhook to `target` may be registered by a peer at `peer_address`; otherwise
  // the reason, for a 403.
  std::string check_target(const host_port& target, const std::string& peer_address) const;
  // Empty when a delivery to `host` (as registered) may connect to `address`, registered by a
  // peer at `peer_address`; otherwise "RULE: why", RULE one of loopback, unspecified,
  // link-local, metadata or host: the dead-letter reason names it.
  std::string check_address(const boost::asio::ip::address& address, const std::string& host,
                            const std::string& peer_address) const;

  const std::vector<std::string>& tokens() const { return options_.tokens; }
  const std::string& control_token() const { return options_.control_token; }
  // Whether the first API token and the control token were generated here (the ready line
  // prints only those: a supplied secret is not echoed to a log).
  bool generated_token() const { return generated_token_; }
  bool generated_control_token() const { return generated_control_; }
  const std::vector<std::string>& allow_hosts() const { return options_.allow_hosts; }

 private:
  bool is_api_token(std::string_view token) const;
  bool names(std::string_view host) const;  // --allow-hosts lists it (not by "*")
  access_options options_;
  bool generated_token_ = false, generated_control_ = false;
};

// "127.0.0.1", "::1", "127.8.9.10", "::ffff:127.0.0.1" and "localhost": loopback.
bool is_loopback_host(std::string_view host);
// 169.254.0.0/16 and fe80::/10 (v4-mapped included).
bool is_link_local(const boost::asio::ip::address& address);
// The cloud instance-metadata addresses: 169.254.169.254, fd00:ec2::254 (AWS IPv6),
// 100.100.100.200 (Alibaba), 168.63.129.16 (Azure's wire server).
bool is_metadata_address(const boost::asio::ip::address& address);

}  // namespace hookbench
