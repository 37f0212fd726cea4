// Plain request/response values that the producer and consumer logic sees. Beast stays inside
// http/server.cpp, http/client.cpp and http/websocket.cpp, so the rest compiles quickly.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "core/clock.hpp"
#include "http/headers.hpp"

namespace hookbench::http {

struct request {
  std::string method;  // "GET", "POST", ...
  std::string target;  // path and query
  std::string body;
  header_list headers;  // as received, names lower-case
  bool keep_alive = true;
  bool websocket_upgrade = false;  // a valid WebSocket upgrade: responder::upgrade_websocket
  std::size_t wire_bytes = 0;      // request line + headers + body as read from the socket
  nanos received_ns = 0;           // when the whole request had been read
  std::string remote_address;      // the peer's numeric address ("127.0.0.1", "::1")

  std::string path() const { return target.substr(0, target.find('?')); }
  // Value of a query parameter, or `fallback` when absent.
  std::string query(std::string_view name, std::string fallback = {}) const;
  std::string header(std::string_view lower_name) const { return find_header(headers, lower_name); }
};

struct response {
  response() = default;
  response(unsigned s, std::string b = {}) : status(s), body(std::move(b)) {}

  unsigned status = 200;
  std::string body;
  std::string content_type = "application/json";
  header_list headers;
  bool close = false;  // ask the server to close after writing
};

inline response json_error(unsigned status, std::string message) {
  std::string body = "{\"error\":\"";
  for (char c : message) {
    if (c == '"' || c == '\\') body += '\\';
    body += c;
  }
  body += "\"}";
  return response{status, std::move(body)};
}

// 405 with the Allow header, naming the method that was used and the one to use.
inline response method_not_allowed(const std::string& method, const std::string& path,
                                   const std::string& allowed) {
  auto r = json_error(405, method + " not allowed on " + path + "; use " + allowed);
  r.headers.emplace_back("Allow", allowed);
  return r;
}

}  // namespace hookbench::http
