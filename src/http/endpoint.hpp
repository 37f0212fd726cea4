// From a host_port to a TCP endpoint. Numeric addresses take a fast path with no resolver (no
// system call, no resolver thread); only names go through getaddrinfo.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <optional>

#include "core/parse.hpp"

namespace hookbench::http::detail {

inline std::optional<boost::asio::ip::tcp::endpoint> numeric_endpoint(const host_port& to) {
  boost::system::error_code ec;
  const auto address = boost::asio::ip::make_address(to.host, ec);
  if (ec) return std::nullopt;
  return boost::asio::ip::tcp::endpoint(address, to.port);
}

// The first endpoint a resolver found, or host_not_found for an empty answer.
inline boost::system::error_code first_endpoint(
    const boost::asio::ip::tcp::resolver::results_type& results,
    boost::asio::ip::tcp::endpoint& out) {
  if (results.empty()) return boost::asio::error::host_not_found;
  out = results.begin()->endpoint();
  return {};
}

}  // namespace hookbench::http::detail
