// Beast async HTTP client connection and a blocking fetch built on it.
#include "http/client.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <optional>

#include "http/endpoint.hpp"
#include "http/tls_stream.hpp"

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = net::ip::tcp;

namespace hookbench::http {

std::string describe(const boost::system::error_code& ec) {
  if (ec == beast::error::timeout) return "timed out";
  if (ec == bhttp::error::buffer_overflow) {
    return "response exceeds the read buffer limit (head limit + body limit + margin): chunk "
           "extensions or trailers too long";
  }
  if (ec == bhttp::error::body_limit) return "response body exceeds the body limit";
  if (ec == bhttp::error::header_limit) return "response head exceeds the header limit";
  return ec.message();
}

namespace {

// A target or header value that would end a line early: Beast writes both as they are, so a CR
// or LF would add headers or a request of the caller's choosing.
std::string unsafe_request(const client_request& r) {
  if (auto why = unsafe_url_byte(r.target); !why.empty())
    return "target: request target has " + why;
  for (const auto& [name, value] : r.headers) {
    const auto bad = [](std::string_view text) {
      return text.find_first_of("\r\n", 0, 3) != std::string_view::npos;
    };
    if (bad(name) || bad(value)) return "target: header " + name + " holds a CR, LF or NUL";
  }
  return {};
}

}  // namespace

constexpr std::size_t kPieceBytes =
    std::size_t{16} * 1024;  // the most of a stream's body handed over at once

struct client_connection::impl : std::enable_shared_from_this<client_connection::impl> {
  net::io_context& ioc;
  host_port target;
  client_options options;
  std::optional<detail::tls_stream> stream;
  tcp::resolver resolver;
  std::optional<tcp::endpoint> endpoint;
  beast::flat_buffer buffer;
  bhttp::request<bhttp::string_body> req;
  std::optional<bhttp::response_parser<bhttp::string_body>> parser;
  client_callback cb;
  client_response out;
  bool streaming = false;  // this request's response is read piece by piece
  std::optional<bhttp::response_parser<bhttp::buffer_body>> stream_parser;
  std::vector<char> piece;  // where the body of a stream is read into
  stream_callbacks scb;
  std::uint64_t received = 0;
  bool connected = false;
  bool reused = false;  // this attempt runs on a socket that served an earlier request
  bool retried = false;
  bool in_flight = false;
  nanos done_ns = 0;  // when the last request ended
  std::uint64_t opened = 0;
  std::uint64_t handshakes = 0;
  std::uint64_t resends = 0;  // requests sent again after a stale keep-alive socket failed

  impl(net::io_context& io, host_port t, client_options o)
      : ioc(io), target(std::move(t)), options(o), resolver(io) {}

  std::chrono::nanoseconds timeout() const { return std::chrono::nanoseconds(options.timeout); }

  void begin(client_request r, bool stream_body) {
    in_flight = true;
    retried = false;
    streaming = stream_body;
    if (auto why = unsafe_request(r); !why.empty()) {
      return refuse(net::error::invalid_argument, std::move(why));
    }
    req = {};
    req.version(11);
    req.method_string(r.method);
    req.target(r.target);
    req.set(bhttp::field::host, target.to_string());
    req.set(bhttp::field::user_agent, "hookbench");
    for (auto& [k, v] : r.headers) req.set(k, v);
    if (!r.body.empty() || r.method == "POST" || r.method == "PUT") {
      req.set(bhttp::field::content_type, r.content_type);
      req.body() = std::move(r.body);
    }
    req.keep_alive(options.keep_alive);
    req.prepare_payload();
    start();
  }

  void start() {
    out = {};
    if (connected && options.keep_alive) {
      reused = true;
      return do_write();
    }
    reused = false;
    reset_stream();
    if (!endpoint) endpoint = detail::numeric_endpoint(target);
    if (endpoint) return do_connect();
    // A name: resolve off the io thread (getaddrinfo may block for seconds), once per connection.
    resolver.async_resolve(target.host, std::to_string(target.port),
                           beast::bind_front_handler(&impl::on_resolve, shared_from_this()));
  }

  void on_resolve(beast::error_code ec, const tcp::resolver::results_type& results) {
    tcp::endpoint first;
    if (!ec) ec = detail::first_endpoint(results, first);
    if (ec) return finish(ec);
    endpoint = first;
    do_connect();
  }

  // Fails the request without sending it; the callback runs later, never inside async_send.
  void refuse(beast::error_code ec, std::string why) {
    out = {};
    out.refusal = std::move(why);
    net::post(ioc, [self = shared_from_this(), ec] { self->finish(ec); });
  }

  void do_connect() {
    if (options.check_address) {
      if (auto why = options.check_address(endpoint->address()); !why.empty()) {
        return refuse(net::error::access_denied, std::move(why));
      }
    }
    stream->expires_after(timeout());
    stream->tcp().async_connect(*endpoint,
                                beast::bind_front_handler(&impl::on_connect, shared_from_this()));
  }

  void reset_stream() {
    if (stream) {
      beast::error_code ec;
      stream->socket().shutdown(tcp::socket::shutdown_both, ec);
      stream->close();
    }
    stream.emplace(ioc, options.tls.get());
    buffer.clear();
    connected = false;
  }

  void on_connect(beast::error_code ec) {
    if (ec) return finish(ec);
    ++opened;
    connected = true;
    stream->socket().set_option(tcp::no_delay(true), ec);
    if (!stream->is_tls()) return do_write();
    stream->verify_peer_name(target.host);
    stream->expires_after(timeout());
    stream->tls().async_handshake(
        net::ssl::stream_base::client,
        beast::bind_front_handler(&impl::on_handshake, shared_from_this()));
  }

  void on_handshake(beast::error_code ec) {
    if (ec) return finish(ec);
    ++handshakes;
    do_write();
  }

  void do_write() {
    stream->expires_after(timeout());
    bhttp::async_write(*stream, req,
                       beast::bind_front_handler(&impl::on_write, shared_from_this()));
  }

  void on_write(beast::error_code ec, std::size_t bytes) {
    if (ec) return on_failure(ec);
    out.bytes_sent = bytes;
    stream->expires_after(timeout());
    if (streaming) return read_head();
    parser.emplace();
    parser->body_limit(options.body_limit);
    parser->header_limit(static_cast<std::uint32_t>(options.header_limit));
    buffer.max_size(response_buffer_limit(options.header_limit, options.body_limit));
    // The head alone first: Beast 1.74's eager parse (async_read's) loses the body_limit error
    // of a response's Content-Length and reads the whole body, so it is checked here, on the
    // head, and a larger body is never read.
    bhttp::async_read_header(*stream, buffer, *parser,
                             beast::bind_front_handler(&impl::on_read_head, shared_from_this()));
  }

  void on_read_head(beast::error_code ec, std::size_t bytes) {
    if (ec) return on_failure(ec);
    out.bytes_received = bytes;  // an answer has begun: a failure from here on is not stale
    if (parser->is_done()) return on_read({}, 0);
    bhttp::async_read(*stream, buffer, *parser,
                      beast::bind_front_handler(&impl::on_read, shared_from_this()));
  }

  void on_read(beast::error_code ec, std::size_t bytes) {
    if (ec) return on_failure(ec);
    auto msg = parser->release();
    out.status = msg.result_int();
    out.bytes_received += bytes;
    if (stream->is_tls()) {
      // What went on the wire: TLS records, this connection's handshake with its first exchange.
      const auto wire = stream->take_wire_bytes();
      out.bytes_sent = wire.out;
      out.bytes_received = wire.in;
    }
    received += out.bytes_received;
    out.body = std::move(msg.body());
    out.headers = lower_cased(msg);
    if (!msg.keep_alive() || !options.keep_alive) disconnect();
    finish({});
  }

  // A streamed response: the head within the timeout, then the body piece by piece, unbounded.
  void read_head() {
    stream_parser.emplace();
    stream_parser->body_limit(boost::none);
    stream_parser->header_limit(static_cast<std::uint32_t>(options.header_limit));
    buffer.max_size(response_buffer_limit(options.header_limit, 0));
    bhttp::async_read_header(*stream, buffer, *stream_parser,
                             beast::bind_front_handler(&impl::on_head, shared_from_this()));
  }

  void on_head(beast::error_code ec, std::size_t bytes) {
    if (ec) return on_failure(ec);
    received += stream->is_tls() ? stream->take_wire_bytes().in : bytes;
    stream->expires_never();
    piece.resize(kPieceBytes);
    const auto& msg = stream_parser->get();
    if (scb.on_head) scb.on_head(msg.result_int(), lower_cased(msg));
    read_body();
  }

  void read_body() {
    if (!stream->socket().is_open()) return end_stream(net::error::operation_aborted);  // close()
    if (stream_parser->is_done()) return end_stream({});
    auto& body = stream_parser->get().body();
    body.data = piece.data();
    body.size = piece.size();
    bhttp::async_read_some(*stream, buffer, *stream_parser,
                           beast::bind_front_handler(&impl::on_body, shared_from_this()));
  }

  void on_body(beast::error_code ec, std::size_t bytes) {
    received += stream->is_tls() ? stream->take_wire_bytes().in : bytes;
    if (ec == bhttp::error::need_buffer) ec = {};  // the piece is full: hand it over
    if (ec) return end_stream(ec);
    const std::size_t got = piece.size() - stream_parser->get().body().size;
    if (got > 0 && scb.on_data) scb.on_data({piece.data(), got});
    read_body();
  }

  void end_stream(beast::error_code ec) {
    if (!ec && (!stream_parser->get().keep_alive() || !options.keep_alive)) disconnect();
    stream_parser.reset();
    piece = {};
    finish(ec);
  }

  template <class Message>
  static header_list lower_cased(const Message& msg) {
    header_list headers;
    for (const auto& field : msg) {
      const auto name = field.name_string();
      headers.emplace_back(to_lower({name.data(), name.size()}), std::string(field.value()));
    }
    return headers;
  }

  void disconnect() {
    beast::error_code ignored;
    stream->socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream->close();
    connected = false;
  }

  void on_failure(beast::error_code ec) {
    connected = false;
    // A keep-alive socket the server closed while idle fails on first use: retry once afresh.
    // A response past a limit was answered, not stale: it is not sent again.
    const bool over_limit = ec == bhttp::error::buffer_overflow || ec == bhttp::error::body_limit ||
                            ec == bhttp::error::header_limit;
    const bool stale = reused && !retried && out.bytes_received == 0 && !over_limit &&
                       ec != beast::error::timeout && ec != net::error::operation_aborted;
    if (stale) {
      retried = true;
      ++resends;
      reused = false;
      reset_stream();
      return do_connect();
    }
    finish(ec);
  }

  void finish(beast::error_code ec) {
    if (ec) {
      connected = false;
      if (stream) {
        beast::error_code ignored;
        stream->socket().close(ignored);
      }
    }
    in_flight = false;
    done_ns = now_ns();
    // Move everything out first: the callback may start the next request on this connection.
    if (std::exchange(streaming, false)) {
      auto on_end = std::move(scb.on_end);
      scb = {};
      if (on_end) on_end(ec);
      return;
    }
    auto callback = std::move(cb);
    cb = nullptr;
    client_response result = std::move(out);
    out = {};
    if (callback) callback(ec, std::move(result));
  }
};

client_connection::client_connection(net::io_context& ioc, host_port target, client_options options)
    : impl_(std::make_shared<impl>(ioc, std::move(target), options)) {}

client_connection::~client_connection() { close(); }

void client_connection::async_send(client_request r, client_callback cb) {
  impl_->cb = std::move(cb);
  impl_->begin(std::move(r), false);
}

void client_connection::async_stream(client_request r, stream_callbacks cb) {
  impl_->scb = std::move(cb);
  impl_->begin(std::move(r), true);
}

bool client_connection::busy() const { return impl_->in_flight; }

nanos client_connection::idle_since() const { return impl_->done_ns; }

void client_connection::close() {
  if (!impl_) return;
  impl_->resolver.cancel();
  if (impl_->stream) {
    beast::error_code ec;
    impl_->stream->socket().close(ec);
    impl_->connected = false;
  }
}

std::uint64_t client_connection::connections_opened() const { return impl_->opened; }

std::uint64_t client_connection::tls_handshakes() const { return impl_->handshakes; }

std::uint64_t client_connection::stale_resends() const { return impl_->resends; }

std::uint64_t client_connection::bytes_received() const { return impl_->received; }

boost::system::error_code fetch(const host_port& target, const client_request& req,
                                client_response& out, nanos timeout, tls_context tls) {
  net::io_context ioc;
  client_options options;
  options.keep_alive = false;
  options.timeout = timeout;
  options.tls = std::move(tls);
  boost::system::error_code result = net::error::timed_out;
  bool done = false;
  {
    client_connection conn(ioc, target, options);
    conn.async_send(req, [&](boost::system::error_code ec, client_response&& r) {
      result = ec;
      out = std::move(r);
      done = true;
    });
    ioc.run_for(std::chrono::nanoseconds(timeout + kNanosPerSecond));
  }
  if (!done) return net::error::timed_out;
  return result;
}

}  // namespace hookbench::http
