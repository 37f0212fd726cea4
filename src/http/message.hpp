// Plain request/response values that the producer and consumer logic sees. Beast stays inside
// http/server.cpp, http/client.cpp and http/websocket.cpp, so the rest compiles quickly.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/clock.hpp"
#include "http/headers.hpp"

namespace hookbench::http {

// The most any read buffer (server or client) may hold at once. Beast 1.74 stores a field's
// name and value lengths in 16 bits and throws std::length_error (out of the io thread's run(),
// ending the process) for a longer one. Its header limit keeps header fields below that, but a
// chunked message's trailer fields are parsed from the read buffer and bounded by nothing else:
// a buffer that cannot hold 64 KiB cannot hand Beast a trailer field that long. Bodies stream
// through the buffer (they never need to sit in it whole), so only the head and one chunk line or
// trailer need the room.
inline constexpr std::size_t kMaxReadBuffer = 60 * 1024;
static_assert(kMaxReadBuffer < 65535, "a read buffer must not hold a field Beast cannot store");

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

namespace detail {

// Length of the well-formed UTF-8 sequence at s[i] (RFC 3629: no overlongs, no surrogates,
// nothing past U+10FFFF), or 0 when it is not one.
inline std::size_t utf8_sequence(std::string_view s, std::size_t i) {
  const auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[i + k]); };
  const unsigned char c = b(0);
  std::size_t n = 0;
  unsigned char lo = 0x80, hi = 0xBF;  // the allowed range of the second byte
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    if (c == 0xE0) lo = 0xA0;
    if (c == 0xED) hi = 0x9F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  if (i + n > s.size() || b(1) < lo || b(1) > hi) return 0;
  for (std::size_t k = 2; k < n; ++k) {
    if (b(k) < 0x80 || b(k) > 0xBF) return 0;
  }
  return n;
}

}  // namespace detail

// Messages often quote what a client sent (a path, a method), which may be any bytes: control
// characters are escaped and bytes that are not UTF-8 become U+FFFD, so the body is valid JSON.
inline response json_error(unsigned status, std::string_view message) {
  static constexpr char hex[] = "0123456789abcdef";
  std::string body = "{\"error\":\"";
  for (std::size_t i = 0; i < message.size();) {
    const auto c = static_cast<unsigned char>(message[i]);
    if (c >= 0x80) {
      const std::size_t n = detail::utf8_sequence(message, i);
      if (n == 0) {
        body += "\\ufffd";
        ++i;
      } else {
        body.append(message.substr(i, n));
        i += n;
      }
      continue;
    }
    if (c == '"' || c == '\\') {
      body += '\\';
      body += static_cast<char>(c);
    } else if (c < 0x20 || c == 0x7f) {
      body += "\\u00";
      body += hex[c >> 4];
      body += hex[c & 0xf];
    } else {
      body += static_cast<char>(c);
    }
    ++i;
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
