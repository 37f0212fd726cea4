// Beast's request parser set to a server's limits, and the conversion of what it read into the
// plain http::request that handlers see. Apart from server.cpp so that a fuzzer
// (tests/fuzz/http_request_fuzzer.cpp) can drive exactly the server's parsing alone.
#pragma once

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <cstddef>

#include "core/clock.hpp"
#include "http/message.hpp"

namespace hookbench::http::detail {

using wire_request = boost::beast::http::request<boost::beast::http::string_body>;
using request_parser = boost::beast::http::request_parser<boost::beast::http::string_body>;

// A fresh parser for one request: larger heads fail with header_limit (431), larger bodies
// with body_limit (413).
void set_limits(request_parser& parser, std::size_t header_limit, std::size_t body_limit);

// What a session may hold unparsed of one request at any time: Beast's header limit does not
// cover chunk extensions and trailers, which must sit whole in the read buffer to be parsed, so
// the buffer itself is bounded (its head, its body limit and a margin for chunk framing, never
// more than kMaxReadBuffer: the body streams through). Reading past it fails with
// buffer_overflow (413).
inline constexpr std::size_t kReadBufferMargin = 4096;
constexpr std::size_t read_buffer_limit(std::size_t header_limit, std::size_t body_limit) {
  const std::size_t want = header_limit + body_limit + kReadBufferMargin;
  return want < kMaxReadBuffer ? want : kMaxReadBuffer;
}

// The request as handlers see it: names lower-cased, `bytes` read off the wire, received at
// `received_ns`; websocket_upgrade set for a valid upgrade request.
request to_request(wire_request&& msg, std::size_t bytes, nanos received_ns);

}  // namespace hookbench::http::detail
