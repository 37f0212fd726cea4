// WebSocket connections on Asio + Beast, server and client side: text messages, a send queue
// (one write in flight), and the bytes each side put on the wire. The server side starts from
// an upgrade request the HTTP server has read (responder::upgrade_websocket), the client side
// from ws_connect(). Beast stays inside websocket.cpp.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "core/clock.hpp"
#include "core/parse.hpp"
#include "http/message.hpp"
#include "http/tls.hpp"

namespace hookbench::http {

// One side of an open WebSocket. Use it on its io thread only.
class ws_connection {
 public:
  virtual ~ws_connection() = default;
  // Queues one text message; false, and the message dropped, once closing or closed.
  virtual bool send(std::string text) = 0;
  // Sends the close frame once the queue has drained.
  virtual void close() = 0;
  virtual bool open() const = 0;
  // Accepted by send() but not yet on the wire: what a caller bounds per slow reader.
  virtual std::size_t queued_bytes() const = 0;
  // Approximate wire bytes: the handshake, then payload and frame header per message.
  virtual std::uint64_t bytes_sent() const = 0;
  virtual std::uint64_t bytes_received() const = 0;
};

struct ws_handlers {
  std::function<void(std::shared_ptr<ws_connection>)> on_open;  // after the handshake
  std::function<void(std::string message)> on_message;          // from the peer
  // Once, when it is over: closed by either side, the peer gone, or (without on_open) the
  // connect or the handshake failed.
  std::function<void()> on_close;
  // A message from the peer larger than this closes the connection with 1009 (message too
  // big) instead of being buffered: set it to what this end expects to receive.
  std::size_t max_message = 64 * 1024;
};

// Connects to `to` and asks to upgrade `target`, with `headers` added to the request; then
// runs the handlers on the io thread. `timeout` bounds the connect and the handshakes together.
// With `tls`, a wss:// connection: the server's certificate is verified against it and must
// name `to.host`.
void ws_connect(boost::asio::io_context& ioc, host_port to, std::string target, header_list headers,
                ws_handlers h, nanos timeout, tls_context tls = nullptr);

namespace detail {

class tls_stream;  // http/tls_stream.hpp

// Once, when a server-side WebSocket is over: the handshake's status (101, or the refusal) and
// the bytes in and out, the upgrade request and the handshake included.
using ws_end_fn = std::function<void(unsigned status, std::uint64_t in, std::uint64_t out)>;

// The server side, once the HTTP server has read `upgrade` (a WebSocket upgrade) from `stream`
// (plain or, after its handshake, TLS).
void ws_accept(tls_stream&& stream, const request& upgrade, std::string server_name, ws_handlers h,
               ws_end_fn on_end);

}  // namespace detail
}  // namespace hookbench::http
