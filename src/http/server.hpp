// An asynchronous HTTP/1.1 server on Asio + Beast: one session per connection, keep-alive,
// TCP_NODELAY, bounded header and body sizes, idle timeout, a per-request read deadline and a
// connection cap. The handler gets a plain request and a responder, which it may use later (a
// parked long-poll) on the server's thread.
#pragma once

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

struct ws_handlers;  // http/websocket.hpp

namespace detail {
class session;
}

// The body of a streamed response (server-sent events, a streamed poll), sent in parts with
// chunked transfer encoding (close-delimited to an HTTP/1.0 peer). Parts are queued and
// written one at a time. Use it on the server's io thread only, and end() it: a stream that is
// dropped unended stays open until the peer leaves.
class stream_reply {
 public:
  virtual ~stream_reply() = default;
  // Queues one part; false, and the part dropped, once the peer has gone or end() was called.
  virtual bool write(std::string data) = 0;
  // Ends the body once the queue has drained; the connection then reads its next request (or
  // closes, if the request asked for that).
  virtual void end() = 0;
  virtual bool open() const = 0;
  // Accepted by write() but not yet on the wire: what a caller bounds per slow reader.
  virtual std::size_t queued_bytes() const = 0;
  // On the wire so far, head and chunk framing included.
  virtual std::uint64_t bytes_written() const = 0;
  // Runs once, when the body has ended or the peer has gone (at once if that has happened).
  virtual void on_closed(std::function<void()> fn) = 0;
};

// How a handler answers the request it was given. Copyable; every copy answers the same
// request, and only the first answer counts: later calls, and calls after the peer has gone,
// do nothing. Use it on the server's io thread only.
class responder {
 public:
  responder(std::shared_ptr<detail::session> session, std::uint64_t exchange);

  // One complete response.
  void operator()(response r) const;
  // Starts a streamed response: the status line and headers of `head` are written now (its
  // body is ignored), the body in parts through the stream returned. A request that can no
  // longer be answered gets a stream that is already closed. While the stream is open, the
  // idle timeout does not apply; a part that takes over 30 s to write closes the connection.
  std::shared_ptr<stream_reply> stream(const response& head) const;
  // For a parked request: `fn` runs once if the peer closes the connection before the answer.
  // The session reads while the request is parked to notice; bytes of a pipelined next request
  // are kept for later.
  void on_peer_closed(std::function<void()> fn) const;
  // Hands the connection over to a WebSocket session (request::websocket_upgrade must be set;
  // other requests get 426). The observer sees the exchange once the WebSocket is over.
  void upgrade_websocket(ws_handlers h) const;

 private:
  std::shared_ptr<detail::session> session_;
  std::uint64_t exchange_;
};
using reply_fn = responder;  // the name handlers knew before there was more than one reply
using handler_fn = std::function<void(request&&, responder)>;

// Called once per exchange after the response is written (after a streamed response or a
// WebSocket has ended, or after a rejected request): when the request arrived, bytes read,
// bytes written, the status sent (0 when the peer left before a parked request was answered).
struct exchange {
  nanos received_ns = 0;
  std::size_t bytes_in = 0;
  std::size_t bytes_out = 0;
  unsigned status = 0;
  std::string path;
};
using observer_fn = std::function<void(const exchange&)>;

struct server_options {
  std::size_t body_limit = 64 * 1024;  // larger bodies get 413
  std::size_t header_limit = 16 * 1024;
  // How long a keep-alive connection may wait for the first byte of its next request.
  nanos idle_timeout = 120 * kNanosPerSecond;
  // How long a new connection may wait for the first byte of its first request (after the TLS
  // handshake): a peer that connects and says nothing holds a slot for no more than this.
  nanos first_request_timeout = 5 * kNanosPerSecond;
  std::string server_name = "hookbench";
  // HTTPS when set: each connection does the TLS handshake first (bounded by 10 s), then the
  // same HTTP; streamed responses and WebSockets run over TLS too.
  tls_context tls;
  // Once a request's first byte has arrived, the whole request (head and body) must follow
  // within this; otherwise the connection is closed without an answer (a slowloris client
  // cannot hold it for the idle timeout). Counted in server::timed_out_requests().
  nanos request_timeout = 10 * kNanosPerSecond;
  // Open connections (idle, parked, streaming and WebSocket ones) at most. A connection
  // accepted past the cap is closed at once, before a byte is read or written: answering
  // a flood costs what the cap saves. Counted in server::refused_connections().
  std::size_t max_connections = 50'000;
  // Open connections from one peer address at most (0: no such cap), so that one host cannot
  // take every slot; past it a new connection is closed at once as well. Counted in
  // server::refused_per_address().
  std::size_t max_connections_per_address = 0;
};

class server {
 public:
  server(boost::asio::io_context& ioc, const host_port& listen, server_options options,
         handler_fn handler, observer_fn observer = nullptr);
  ~server();
  server(const server&) = delete;
  server& operator=(const server&) = delete;

  // Throws std::runtime_error naming the address on bind/listen failure.
  void start();
  void stop();
  // A receiver that is down for a while (a fault the harness injects): pause() closes the
  // listening socket and every open connection (peers see a reset or a refused connect);
  // resume() listens again on the same port. Call them on the io thread, after start().
  // Returns the connections closed.
  std::size_t pause();
  void resume();
  std::uint16_t port() const;
  // Connections open right now: parked, streaming, WebSocket and idle keep-alive ones
  // included. Read it on the io thread.
  std::size_t sessions() const;
  // TLS handshakes completed, and failed (a plain-HTTP peer, an untrusted certificate, a
  // timeout), since start. Read them on the io thread.
  std::uint64_t tls_handshakes() const;
  std::uint64_t tls_handshake_failures() const;
  // Connections closed at accept because max_connections were open (io thread).
  std::uint64_t refused_connections() const;
  // Connections closed at accept because max_connections_per_address were open from that
  // peer's address (io thread).
  std::uint64_t refused_per_address() const;
  // Requests whose first byte arrived but whose rest did not within request_timeout (io thread).
  std::uint64_t timed_out_requests() const;

  struct impl;  // Beast state, defined in server.cpp (public so its sessions can name it)

 private:
  std::shared_ptr<impl> impl_;
};

}  // namespace hookbench::http
