// Who may use the producer's API, and where it may be told to send webhooks.
//   - Pulls, streams and subscription calls carry "Authorization: Bearer <token>" with one of the
//     API tokens (serve --token, repeatable; one is generated when none is given).
//   - /control/start, /control/report and /control/shutdown need the control token;
//     /control/ping and /control/window (clock and window, which a consumer reads) take either.
//   - A webhook target must be loopback, the registering peer's own address, or a host named
//     by --allow-hosts ("*" allows any host). How many subscriptions a token may hold is
//     producer/holdings.hpp's.
// A refusal is a 401 or 403 whose body says what was wrong.
#pragma once

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

class access_policy {
 public:
  // Generates the tokens not given (throws std::runtime_error if the CSPRNG fails).
  explicit access_policy(access_options options);

  // The refusal for a request that may not use its route, or nothing when it may.
  std::optional<http::response> check(const http::request& req) const;
  // The API token the request carries (already checked): the owner of what it creates.
  std::string owner(const http::request& req) const;
  // Empty when a webhook to `target` may be registered by a peer at `peer_address`; otherwise
  // the reason, for a 403.
  std::string check_target(const host_port& target, const std::string& peer_address) const;

  const std::vector<std::string>& tokens() const { return options_.tokens; }
  const std::string& control_token() const { return options_.control_token; }
  const std::vector<std::string>& allow_hosts() const { return options_.allow_hosts; }

 private:
  bool is_api_token(std::string_view token) const;
  access_options options_;
};

// "127.0.0.1", "::1", "127.8.9.10", "::ffff:127.0.0.1" and "localhost": loopback.
bool is_loopback_host(std::string_view host);

}  // namespace hookbench
