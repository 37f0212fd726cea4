// A TCP stream that may speak TLS, for the sessions in server.cpp, client.cpp and websocket.cpp
// (private to them: it brings Beast and Asio's SSL in). Whether a connection is encrypted is
// decided when it is made; the HTTP and WebSocket logic above it exists once, for both.
#pragma once

#include <boost/asio/async_result.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <boost/beast/websocket/teardown.hpp>
#include <optional>

namespace hookbench::http::detail {

class tls_stream {
 public:
  using tcp_stream = boost::beast::tcp_stream;
  using ssl_stream = boost::beast::ssl_stream<tcp_stream>;
  using executor_type = tcp_stream::executor_type;

  // `arg` makes the TCP stream: an accepted socket, or an executor or io_context to connect
  // with later. TLS when `tls` is not null (it must outlive the stream).
  template <class Arg>
  tls_stream(Arg&& arg, boost::asio::ssl::context* tls) {
    if (tls) {
      tls_.emplace(std::forward<Arg>(arg), *tls);
    } else {
      plain_.emplace(std::forward<Arg>(arg));
    }
  }

  bool is_tls() const { return tls_.has_value(); }
  ssl_stream& tls() { return *tls_; }
  tcp_stream& tcp() { return tls_ ? tls_->next_layer() : *plain_; }
  boost::asio::ip::tcp::socket& socket() { return tcp().socket(); }
  executor_type get_executor() { return tcp().get_executor(); }

  // A client's check, before its handshake, that the certificate names `host` (a DNS name or
  // an IP address) besides chaining to the trusted CA; a name also goes out as SNI.
  void verify_peer_name(const std::string& host) {
    boost::system::error_code ec;
    boost::asio::ip::make_address(host, ec);
    if (ec) SSL_set_tlsext_host_name(tls_->native_handle(), host.c_str());
    tls_->set_verify_callback(boost::asio::ssl::host_name_verification(host));
  }

  // TLS record bytes read and written since the last call, the handshake included: what goes
  // on the wire for the plain bytes above it ({0, 0} without TLS). The records pass through
  // one OpenSSL BIO each way, which counts them.
  struct wire_bytes {
    std::uint64_t in = 0, out = 0;
  };
  wire_bytes take_wire_bytes() {
    if (!tls_) return {};
    SSL* ssl = tls_->native_handle();
    const wire_bytes now{BIO_number_read(SSL_get_rbio(ssl)), BIO_number_written(SSL_get_wbio(ssl))};
    const wire_bytes delta{now.in - seen_.in, now.out - seen_.out};
    seen_ = now;
    return delta;
  }

  // The timeouts live in the TCP stream, below TLS: they bound the handshake and every record.
  template <class Duration>
  void expires_after(Duration d) {
    tcp().expires_after(d);
  }
  void expires_never() { tcp().expires_never(); }
  void cancel() { tcp().cancel(); }
  void close() { tcp().close(); }

  template <class Buffers, class Handler>
  auto async_read_some(const Buffers& buffers, Handler&& handler) {
    return boost::asio::async_initiate<Handler, void(boost::beast::error_code, std::size_t)>(
        [this](auto h, const Buffers& b) {
          if (tls_) {
            tls_->async_read_some(b, std::move(h));
          } else {
            plain_->async_read_some(b, std::move(h));
          }
        },
        handler, buffers);
  }

  template <class Buffers, class Handler>
  auto async_write_some(const Buffers& buffers, Handler&& handler) {
    return boost::asio::async_initiate<Handler, void(boost::beast::error_code, std::size_t)>(
        [this](auto h, const Buffers& b) {
          if (tls_) {
            tls_->async_write_some(b, std::move(h));
          } else {
            plain_->async_write_some(b, std::move(h));
          }
        },
        handler, buffers);
  }

  friend void beast_close_socket(tls_stream& s) { s.close(); }

  // A WebSocket over this stream closes the way its layer does (close_notify over TLS).
  friend void teardown(boost::beast::role_type role, tls_stream& s, boost::beast::error_code& ec) {
    using boost::beast::websocket::teardown;
    if (s.tls_) return teardown(role, *s.tls_, ec);
    teardown(role, *s.plain_, ec);
  }

  template <class Handler>
  friend void async_teardown(boost::beast::role_type role, tls_stream& s, Handler&& handler) {
    using boost::beast::websocket::async_teardown;
    if (s.tls_) return async_teardown(role, *s.tls_, std::forward<Handler>(handler));
    async_teardown(role, *s.plain_, std::forward<Handler>(handler));
  }

 private:
  std::optional<ssl_stream> tls_;
  std::optional<tcp_stream> plain_;
  wire_bytes seen_;
};

}  // namespace hookbench::http::detail
