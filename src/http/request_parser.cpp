// The server's request parsing (http/request_parser.hpp) and request::query.
#include "http/request_parser.hpp"

#include <boost/beast/websocket/rfc6455.hpp>

namespace hookbench::http {

std::string request::query(std::string_view name, std::string fallback) const {
  auto q = target.find('?');
  if (q == std::string::npos) return fallback;
  std::string_view rest = std::string_view(target).substr(q + 1);
  while (!rest.empty()) {
    auto amp = rest.find('&');
    auto pair = rest.substr(0, amp);
    auto eq = pair.find('=');
    if (pair.substr(0, eq) == name) {
      return eq == std::string_view::npos ? std::string() : std::string(pair.substr(eq + 1));
    }
    if (amp == std::string_view::npos) break;
    rest = rest.substr(amp + 1);
  }
  return fallback;
}

namespace detail {

void set_limits(request_parser& parser, std::size_t header_limit, std::size_t body_limit) {
  parser.body_limit(body_limit);
  parser.header_limit(static_cast<std::uint32_t>(header_limit));
}

request to_request(wire_request&& msg, std::size_t bytes, nanos received_ns) {
  request req;
  req.method = std::string(msg.method_string());
  req.target = std::string(msg.target());
  req.keep_alive = msg.keep_alive();
  req.websocket_upgrade = boost::beast::websocket::is_upgrade(msg);
  req.wire_bytes = bytes;
  req.received_ns = received_ns;
  req.headers.reserve(8);
  for (const auto& field : msg) {
    const auto name = field.name_string();
    req.headers.emplace_back(to_lower({name.data(), name.size()}), std::string(field.value()));
  }
  req.body = std::move(msg.body());
  return req;
}

}  // namespace detail
}  // namespace hookbench::http
