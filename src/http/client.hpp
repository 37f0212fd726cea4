// An asynchronous HTTP/1.1 client connection on Asio + Beast: one request in flight at a time,
// keep-alive (reused socket) or a new connection per request, a timeout on every step, and the
// bytes each exchange put on the wire; responses read whole or, for a body that arrives over
// time (server-sent events), piece by piece. Also a blocking fetch() for setup and control.
#pragma once

#include <boost/asio/ip/address.hpp>
#include <boost/system/error_code.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "core/parse.hpp"
#include "http/message.hpp"
#include "http/tls.hpp"

namespace boost::asio {
class io_context;
}

namespace hookbench::http {

struct client_request {
  std::string method = "GET";
  std::string target = "/";
  std::string body;
  std::string content_type = "application/json";
  header_list headers;
};

struct client_response {
  unsigned status = 0;
  std::string body;
  header_list headers;  // names lower-case
  std::size_t bytes_sent = 0;
  std::size_t bytes_received = 0;
  // Why the client sent nothing: "target: ..." (a target or header that would break the
  // request's framing: error invalid_argument) or the check_address verdict ("RULE: ...",
  // error access_denied).
  std::string refusal;
  std::string header(std::string_view lower_name) const { return find_header(headers, lower_name); }
};

struct client_options {
  bool keep_alive = true;               // false: a new TCP connection for every request
  nanos timeout = 5 * kNanosPerSecond;  // connect + write + read, per request
  std::size_t body_limit = 64 * 1024 * 1024;
  // Response heads larger than this fail with header_limit. What the read buffer may hold at
  // once is bounded too (head, body limit and a margin; head and kStreamReadAhead for a
  // streamed body): chunk extensions and trailers past it fail with buffer_overflow.
  std::size_t header_limit = 16 * 1024;
  // HTTPS when set (make_client_tls): every new connection does a TLS handshake, verifying the
  // server's certificate against the CA and the target's host or IP address.
  tls_context tls;
  // Called with the address each new connection is about to reach (after any name resolution):
  // a non-empty answer ("RULE: why") refuses it, nothing is sent.
  std::function<std::string(const boost::asio::ip::address&)> check_address;
};

using client_callback = std::function<void(boost::system::error_code, client_response&&)>;

struct stream_callbacks {
  // Once the status line and headers (names lower-case) have arrived.
  std::function<void(unsigned status, const header_list& headers)> on_head;
  // Each piece of the body as it arrives, chunk framing removed; pieces need not match the
  // parts the server wrote.
  std::function<void(std::string_view data)> on_data;
  // Once: the body ended (no error), or an error, operation_aborted after close().
  std::function<void(boost::system::error_code)> on_end;
};

class client_connection {
 public:
  // `target` must be a numeric address or resolvable name; resolution happens on first use.
  client_connection(boost::asio::io_context& ioc, host_port target, client_options options = {});
  ~client_connection();
  client_connection(const client_connection&) = delete;
  client_connection& operator=(const client_connection&) = delete;

  // One request at a time; the callback runs on the io_context's thread. A request that fails
  // on a reused keep-alive socket before any response byte is retried once on a fresh one.
  void async_send(client_request req, client_callback cb);
  // A request whose response body arrives over time (chunked or close-delimited). Connecting
  // and the response head are bounded by options.timeout, the body is not: a stream may stay
  // idle for long. close() ends it. After a clean end the connection serves the next request.
  void async_stream(client_request req, stream_callbacks cb);
  bool busy() const;
  // When its last request ended (0: none yet): how long a kept-alive connection has been idle.
  nanos idle_since() const;
  void close();
  std::uint64_t connections_opened() const;
  // TLS handshakes completed on this connection's sockets (0 without TLS).
  std::uint64_t tls_handshakes() const;
  // Requests sent once more on a fresh socket because the kept-alive one had been closed by the
  // server while idle (the classic keep-alive race): reconnects, not failures.
  std::uint64_t stale_resends() const;
  // Wire bytes read on this connection so far, every response included.
  std::uint64_t bytes_received() const;

 private:
  struct impl;
  std::shared_ptr<impl> impl_;
};

// Blocking request on a private io_context, for setup and control. Returns an error code
// (timeout, refused, ...) or the response.
// With `tls`, over HTTPS.
boost::system::error_code fetch(const host_port& target, const client_request& req,
                                client_response& out, nanos timeout = 5 * kNanosPerSecond,
                                tls_context tls = nullptr);

// The most a streamed response's read buffer holds beyond its head: read-ahead of the body,
// one chunk header and the trailers must fit in it.
inline constexpr std::size_t kStreamReadAhead = 64 * 1024;
// Room for chunk framing in a read buffer's bound, beyond the head and the body.
inline constexpr std::size_t kReadMargin = 4096;

// What the client's read buffer may hold while it reads a whole response (bounded by
// `body_limit`) or a streamed one (body_limit = 0: pieces handed over as they come).
// Never more than kMaxReadBuffer (message.hpp): a trailer field Beast cannot store must not fit.
constexpr std::size_t response_buffer_limit(std::size_t header_limit, std::size_t body_limit) {
  const std::size_t want =
      header_limit + (body_limit > 0 ? body_limit : kStreamReadAhead) + kReadMargin;
  return want < kMaxReadBuffer ? want : kMaxReadBuffer;
}

// "Connection refused", "timed out", "response exceeds the read buffer limit ..." for
// messages.
std::string describe(const boost::system::error_code& ec);

}  // namespace hookbench::http
