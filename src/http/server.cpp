// Beast async HTTP server (the Beast example/http/server/async shape). The io_context is run by
// one thread per process, which serialises every handler: that is each session's strand. While
// a handler holds a request (parked, or streaming its answer) the session keeps a read pending,
// so that a peer that leaves is noticed at once.
#include "http/server.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/version.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <deque>
#include <iostream>
#include <map>
#include <stdexcept>

#include "http/endpoint.hpp"
#include "http/request_parser.hpp"
#include "http/tls_stream.hpp"
#include "http/websocket.hpp"

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = net::ip::tcp;

namespace hookbench::http {

namespace {

void fail(beast::error_code ec, const char* what) {
  // Peers closing and timeouts are ordinary on a benchmark server; report only surprises.
  if (ec == net::error::operation_aborted || ec == beast::error::timeout ||
      ec == net::error::connection_reset || ec == net::error::broken_pipe ||
      ec == bhttp::error::end_of_stream || ec == net::error::eof ||
      ec == net::ssl::error::stream_truncated) {  // a TLS peer that closed without close_notify
    return;
  }
  std::cerr << "hookbench: http server " << what << ": " << ec.message() << "\n";
}

// A write that makes no progress for this long means a peer that stopped reading.
constexpr std::chrono::seconds kWriteTimeout(30);
// A TLS handshake that has not finished by then: a peer that connected and said nothing, or
// spoke plain HTTP and waits for an answer.
constexpr std::chrono::seconds kHandshakeTimeout(10);
// What an idle connection's read buffer may keep of the room an earlier request took.
constexpr std::size_t kIdleBufferCapacity = 16 * 1024;

bool is_parse_error(const beast::error_code& ec) {
  return ec.category() == bhttp::make_error_code(bhttp::error::bad_target).category();
}

}  // namespace

struct server::impl : std::enable_shared_from_this<server::impl> {
  net::io_context& ioc;
  host_port listen;
  server_options options;
  handler_fn handler;
  observer_fn observer;
  tcp::acceptor acceptor;
  net::steady_timer backoff;  // after an accept error (e.g. out of descriptors): no busy loop
  bool stopped = false;
  std::uint64_t tls_handshakes = 0, tls_handshake_failures = 0;
  std::size_t sessions = 0;               // open connections
  std::uint64_t refused = 0;              // closed at accept: max_connections were open
  std::uint64_t refused_per_address = 0;  // closed at accept: that address had its share
  std::map<net::ip::address, std::size_t> per_address;  // open connections by peer address
  std::uint64_t timed_out = 0;  // requests begun but not complete within request_timeout
  // Every session started, for pause() to close them; expired entries are pruned once they
  // outnumber the open connections, so that an accept does not scan every session.
  std::vector<std::weak_ptr<detail::session>> all_sessions;
  bool paused = false;
  net::ip::tcp::endpoint bound;  // where start() listened (the port pause/resume keep)

  impl(net::io_context& io, host_port l, server_options o, handler_fn h, observer_fn obs)
      : ioc(io),
        listen(std::move(l)),
        options(std::move(o)),
        handler(std::move(h)),
        observer(std::move(obs)),
        acceptor(io),
        backoff(io) {}

  void do_accept();
  void on_accept(beast::error_code ec, tcp::socket socket);
  void listen_on(const tcp::endpoint& ep);
};

namespace detail {

// Counts one open connection in server::sessions(), and in its peer address's share, for as
// long as it is held.
class session_slot {
 public:
  session_slot(std::shared_ptr<server::impl> owner, net::ip::address peer)
      : owner_(std::move(owner)), peer_(peer) {
    ++owner_->sessions;
    ++owner_->per_address[peer_];
  }
  ~session_slot() {
    --owner_->sessions;
    if (auto it = owner_->per_address.find(peer_); it != owner_->per_address.end()) {
      if (--it->second == 0) owner_->per_address.erase(it);
    }
  }
  session_slot(const session_slot&) = delete;
  session_slot& operator=(const session_slot&) = delete;

 private:
  std::shared_ptr<server::impl> owner_;
  net::ip::address peer_;
};

class session;

// A streamed response's state, shared by the handler (as a stream_reply) and its session,
// which writes the queue out.
struct chunked_stream final : stream_reply {
  enum class write_kind { none, head, part, last };

  bool write(std::string data) override;
  void end() override;
  bool open() const override { return session && !ending; }
  std::size_t queued_bytes() const override { return queued; }
  std::uint64_t bytes_written() const override { return written; }
  void on_closed(std::function<void()> fn) override {
    if (closed) return fn();
    closed_fn = std::move(fn);
  }

  // Forgets the queue and the session (which holds this stream too), then says so.
  void close() {
    closed = true;
    session = nullptr;
    parts.clear();
    queued = 0;
    if (closed_fn) std::exchange(closed_fn, nullptr)();
  }

  std::shared_ptr<detail::session> session;  // null once closed
  std::optional<bhttp::response<bhttp::empty_body>> head;
  std::optional<bhttp::response_serializer<bhttp::empty_body>> head_serializer;
  bool chunked = true;  // false for an HTTP/1.0 peer: the body ends when the connection does
  bool keep_alive = true;
  std::deque<std::string> parts;
  std::size_t queued = 0;
  std::uint64_t written = 0;
  write_kind in_flight = write_kind::none;
  bool ending = false;
  bool closed = false;
  std::function<void()> closed_fn;
};

class session : public std::enable_shared_from_this<session> {
 public:
  session(tcp::socket&& socket, std::shared_ptr<server::impl> owner, net::ip::address peer)
      : stream_(std::move(socket), owner->options.tls.get()),
        buffer_(read_buffer_limit(owner->options.header_limit, owner->options.body_limit)),
        owner_(std::move(owner)),
        slot_(std::make_shared<session_slot>(owner_, peer)),
        peer_address_(peer.to_string()) {}

  void run() {
    beast::error_code ec;
    stream_.socket().set_option(tcp::no_delay(true), ec);
    if (!stream_.is_tls()) return do_read();
    stream_.expires_after(kHandshakeTimeout);
    stream_.tls().async_handshake(
        net::ssl::stream_base::server,
        beast::bind_front_handler(&session::on_handshake, shared_from_this()));
  }

  // The responder's side. `exchange` names the request its handler was given; anything aimed
  // at an earlier one, or at one already answered or abandoned, is ignored.
  void reply(std::uint64_t exchange, response r) {
    if (!parked(exchange)) return;
    unpark(phase::replying);
    write(std::move(r));
  }

  std::shared_ptr<stream_reply> start_stream(std::uint64_t exchange, const response& r) {
    auto body = std::make_shared<chunked_stream>();
    if (!parked(exchange)) {
      body->close();
      return body;
    }
    unpark(phase::streaming);
    status_ = r.status;
    body->session = shared_from_this();
    prepare_head(*body, r);
    body_ = body;
    body_->in_flight = chunked_stream::write_kind::head;
    stream_.expires_after(kWriteTimeout);
    bhttp::async_write_header(
        stream_, *body_->head_serializer,
        beast::bind_front_handler(&session::on_stream_write, shared_from_this()));
    return body;
  }

  // Writes the next queued part, or the end of the body once it was asked for and the queue
  // has drained. One write at a time: Beast allows no more on a stream.
  void pump() {
    if (!body_ || body_->in_flight != chunked_stream::write_kind::none) return;
    auto& b = *body_;
    if (!b.parts.empty()) {
      const auto part = net::buffer(b.parts.front());
      if (b.chunked) return stream_write(chunked_stream::write_kind::part, bhttp::make_chunk(part));
      return stream_write(chunked_stream::write_kind::part, part);
    }
    if (!b.ending) return;
    if (!b.chunked) return end_stream(false);  // the close is the end of the body
    stream_write(chunked_stream::write_kind::last, bhttp::make_chunk_last());
  }

  void upgrade(std::uint64_t exchange, ws_handlers h) {
    if (!parked(exchange)) return;
    if (!upgrade_) {
      auto r = json_error(426, "this resource speaks WebSocket only: send an upgrade request");
      r.headers.emplace_back("Upgrade", "websocket");
      return reply(exchange, std::move(r));
    }
    unpark(phase::upgraded);
    upgrade_->handlers = std::move(h);
    after_watch(&session::hand_over);
  }

  // pause(): the connection goes now, whatever it was doing (a handler's later answer is ignored).
  void drop() {
    if (phase_ == phase::closed || phase_ == phase::abandoned || phase_ == phase::upgraded) return;
    phase_ = phase::closed;
    peer_closed_ = nullptr;
    beast::error_code ec;
    stream_.socket().close(ec);
    slot_.reset();
  }
  bool dropped() const { return phase_ == phase::closed || phase_ == phase::abandoned; }

  void on_peer_closed(std::uint64_t exchange, std::function<void()> fn) {
    if (exchange != exchange_) return;
    if (phase_ == phase::parked) {
      peer_closed_ = std::move(fn);
    } else if (phase_ == phase::abandoned) {
      fn();
    }
  }

 private:
  enum class phase {
    reading,    // waiting for a request (idle timeout), then reading it (request timeout)
    parked,     // the handler holds the request
    replying,   // one complete response is being written
    streaming,  // a streamed response is open
    abandoned,  // the peer left while its request was parked; the socket is closed
    upgraded,   // the socket belongs to a WebSocket session now
    closed,
  };

  // What a WebSocket session needs from this one: a copy of the request, made before the
  // handler took it, and the handlers once the upgrade is asked for.
  struct pending_upgrade {
    request req;
    ws_handlers handlers;
  };

  bool parked(std::uint64_t exchange) const {
    return exchange == exchange_ && phase_ == phase::parked;
  }

  // The request is answered: the peer-closed callback (which may hold a responder, and so
  // this session) is no longer wanted.
  void unpark(phase next) {
    phase_ = next;
    peer_closed_ = nullptr;
  }

  // A failed handshake is the peer's doing (plain HTTP, a CA that does not trust us): counted,
  // not printed.
  void on_handshake(beast::error_code ec) {
    if (ec) {
      ++owner_->tls_handshake_failures;
      return close();
    }
    ++owner_->tls_handshakes;
    do_read();
  }

  void do_read() {
    phase_ = phase::reading;
    parser_.emplace();
    set_limits(*parser_, owner_->options.header_limit, owner_->options.body_limit);
    // Two deadlines: the idle timeout bounds the wait for a request's first byte, the request
    // timeout everything after it. Bytes of a pipelined request may be buffered already.
    if (buffer_.size() > 0) return read_request();
    // An idle connection should not keep the room a large request needed.
    if (buffer_.capacity() > kIdleBufferCapacity) buffer_.shrink_to_fit();
    // A new connection has a shorter wait than a kept-alive one: sitting silent on a fresh
    // connection costs a slot and no request.
    const auto& o = owner_->options;
    stream_.expires_after(
        std::chrono::nanoseconds(exchange_ == 0 ? o.first_request_timeout : o.idle_timeout));
    stream_.async_read_some(
        buffer_.prepare(beast::read_size(buffer_, 4096)),
        beast::bind_front_handler(&session::on_first_bytes, shared_from_this()));
  }

  void on_first_bytes(beast::error_code ec, std::size_t bytes) {
    if (ec == net::error::eof) return close();  // an idle keep-alive peer left
    if (ec) return fail(ec, "read");
    buffer_.commit(bytes);
    read_request();
  }

  void read_request() {
    stream_.expires_after(std::chrono::nanoseconds(owner_->options.request_timeout));
    bhttp::async_read(stream_, buffer_, *parser_,
                      beast::bind_front_handler(&session::on_read, shared_from_this()));
  }

  void on_read(beast::error_code ec, std::size_t bytes) {
    const nanos now = now_ns();
    if (ec == bhttp::error::end_of_stream) return close();
    if (ec == beast::error::timeout) {
      // The stream closed the socket: a slow client gets no answer, only its connection back.
      ++owner_->timed_out;
      return;
    }
    if (ec == bhttp::error::body_limit) {
      return reject(
          now, bytes, 413,
          "request body exceeds " + std::to_string(owner_->options.body_limit) + " bytes");
    }
    if (ec == bhttp::error::header_limit)
      return reject(now, bytes, 431, "request headers too large");
    if (ec == bhttp::error::buffer_overflow) {
      return reject(now, bytes, 413,
                    "request exceeds the " + std::to_string(buffer_.max_size()) +
                        "-byte read buffer (a head and one chunk line or trailer must fit; chunk "
                        "extensions and trailers count)");
    }
    if (ec && is_parse_error(ec)) return reject(now, bytes, 400, "malformed HTTP: " + ec.message());
    if (ec) return fail(ec, "read");

    auto msg = parser_->release();
    version_ = msg.version();
    request req = to_request(std::move(msg), bytes, now);
    req.remote_address = peer_address_;
    received_ns_ = now;
    bytes_in_ = bytes;
    path_ = req.path();
    keep_alive_ = req.keep_alive;
    upgrade_.reset();
    if (req.websocket_upgrade)
      upgrade_ = std::make_unique<pending_upgrade>(pending_upgrade{req, {}});
    phase_ = phase::parked;
    stream_.expires_never();
    owner_->handler(std::move(req), responder(shared_from_this(), ++exchange_));
    if (phase_ == phase::parked || phase_ == phase::streaming) watch();
  }

  // While the handler holds the request, read on so that a peer that leaves is noticed now
  // rather than at the write. What arrives meanwhile (a pipelined request) stays in buffer_.
  void watch() {
    // A peer that pipelines more than a full request while parked waits on TCP instead.
    const std::size_t room = beast::read_size(buffer_, 4096);
    if (room == 0) return;
    watching_ = true;
    stream_.expires_never();
    stream_.async_read_some(buffer_.prepare(room),
                            beast::bind_front_handler(&session::on_watch, shared_from_this()));
  }

  void on_watch(beast::error_code ec, std::size_t bytes) {
    watching_ = false;
    if (!ec) buffer_.commit(bytes);
    if (after_watch_) return (this->*std::exchange(after_watch_, nullptr))();
    if (phase_ != phase::parked && phase_ != phase::replying && phase_ != phase::streaming) {
      return;  // closed by this side
    }
    if (!ec) return watch();
    // A response being written finds out by itself (or the next read does): a peer may
    // half-close after its request and still read the answer.
    if (phase_ == phase::replying) return;
    if (phase_ == phase::streaming) return end_stream(false);
    abandon();
  }

  // Runs `next` once no watch read is pending: a socket allows only one read at a time.
  void after_watch(void (session::*next)()) {
    if (!watching_) return (this->*next)();
    after_watch_ = next;
    stream_.cancel();
  }

  // The WebSocket session takes the socket, and with it this connection's place in sessions();
  // the observer hears of the exchange when the WebSocket is over.
  void hand_over() {
    auto up = std::move(upgrade_);
    detail::ws_accept(std::move(stream_), up->req, owner_->options.server_name,
                      std::move(up->handlers),
                      [owner = owner_, slot = std::exchange(slot_, nullptr), at = received_ns_,
                       path = path_](unsigned status, std::uint64_t in, std::uint64_t out) {
                        if (owner->observer) owner->observer(exchange{at, in, out, status, path});
                      });
  }

  void abandon() {
    phase_ = phase::abandoned;
    observe(0, 0);
    close();
    if (peer_closed_) std::exchange(peer_closed_, nullptr)();
  }

  void reject(nanos now, std::size_t bytes, unsigned status, std::string reason) {
    received_ns_ = now;
    bytes_in_ = bytes;
    path_ = parser_ && parser_->is_header_done() ? std::string(parser_->get().target()) : "";
    if (auto q = path_.find('?'); q != std::string::npos) path_.resize(q);
    keep_alive_ = false;  // the stream is not in a known state after a parse failure
    version_ = 11;
    phase_ = phase::replying;
    response r = json_error(status, std::move(reason));
    r.close = true;
    write(std::move(r));
  }

  void write(response r) {
    res_ = {};
    res_.version(version_);
    res_.result(r.status);
    res_.set(bhttp::field::server, owner_->options.server_name);
    if (!r.body.empty() || r.status != 204) res_.set(bhttp::field::content_type, r.content_type);
    for (auto& [k, v] : r.headers) res_.set(k, v);
    res_.body() = std::move(r.body);
    res_.keep_alive(keep_alive_ && !r.close);
    res_.prepare_payload();
    status_ = r.status;
    stream_.expires_after(kWriteTimeout);
    bhttp::async_write(stream_, res_,
                       beast::bind_front_handler(&session::on_write, shared_from_this()));
  }

  void on_write(beast::error_code ec, std::size_t bytes) {
    observe(ec ? 0 : bytes, status_);
    const bool keep_alive = res_.keep_alive();
    res_ = {};  // a parked connection should not hold on to its last response
    if (ec) {
      fail(ec, "write");
      return close();
    }
    if (!keep_alive) return close();
    after_watch(&session::do_read);
  }

  // Chunked for HTTP/1.1; an HTTP/1.0 peer knows no chunks, so its body ends with the connection.
  void prepare_head(chunked_stream& body, const response& r) const {
    body.chunked = version_ >= 11;
    body.keep_alive = body.chunked && keep_alive_ && !r.close;
    auto& head = body.head.emplace();
    head.version(version_);
    head.result(r.status);
    head.set(bhttp::field::server, owner_->options.server_name);
    head.set(bhttp::field::content_type, r.content_type);
    for (const auto& [k, v] : r.headers) head.set(k, v);
    head.keep_alive(body.keep_alive);
    head.chunked(body.chunked);
    body.head_serializer.emplace(head);
  }

  template <class Buffers>
  void stream_write(chunked_stream::write_kind kind, const Buffers& buffers) {
    body_->in_flight = kind;
    stream_.expires_after(kWriteTimeout);
    net::async_write(stream_, buffers,
                     beast::bind_front_handler(&session::on_stream_write, shared_from_this()));
  }

  void on_stream_write(beast::error_code ec, std::size_t bytes) {
    if (!body_) return;  // ended already: the peer left while this write was in flight
    auto& b = *body_;
    b.written += bytes;
    if (ec) {
      fail(ec, "write");
      return end_stream(false);
    }
    switch (std::exchange(b.in_flight, chunked_stream::write_kind::none)) {
      case chunked_stream::write_kind::head:
        b.head_serializer.reset();
        b.head.reset();
        break;
      case chunked_stream::write_kind::part:
        b.queued -= b.parts.front().size();
        b.parts.pop_front();
        break;
      case chunked_stream::write_kind::last:
        return end_stream(true);
      case chunked_stream::write_kind::none:
        break;
    }
    pump();
  }

  // The streamed response is over: its body ended (`complete`), the peer left or a write failed.
  void end_stream(bool complete) {
    auto body = std::exchange(body_, nullptr);
    observe(body->written, status_);
    if (complete && body->keep_alive) {
      after_watch(&session::do_read);
    } else {
      close();
    }
    body->close();
  }

  void observe(std::size_t bytes_out, unsigned status) {
    if (stream_.is_tls()) {
      // What went on the wire: TLS records, the handshake with the connection's first exchange.
      const auto wire = stream_.take_wire_bytes();
      bytes_in_ = wire.in;
      bytes_out = wire.out;
    }
    if (owner_->observer) {
      owner_->observer(exchange{received_ns_, bytes_in_, bytes_out, status, path_});
    }
  }

  void close() {
    if (phase_ != phase::abandoned) phase_ = phase::closed;
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream_.close();
    slot_.reset();
  }

  tls_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<request_parser> parser_;
  bhttp::response<bhttp::string_body> res_;
  std::shared_ptr<server::impl> owner_;
  std::shared_ptr<session_slot> slot_;  // released when the connection closes
  phase phase_ = phase::reading;
  std::uint64_t exchange_ = 0;  // requests read so far; names the current one
  bool watching_ = false;
  void (session::*after_watch_)() = nullptr;
  std::function<void()> peer_closed_;
  std::shared_ptr<chunked_stream> body_;      // while streaming
  std::unique_ptr<pending_upgrade> upgrade_;  // for a WebSocket upgrade request
  nanos received_ns_ = 0;
  std::string peer_address_;  // the peer's numeric address, for the handler
  std::size_t bytes_in_ = 0;
  std::string path_;
  bool keep_alive_ = true;
  unsigned version_ = 11;
  unsigned status_ = 0;
};

bool chunked_stream::write(std::string data) {
  if (!open()) return false;
  if (data.empty()) return true;  // an empty chunk would end the body
  queued += data.size();
  parts.push_back(std::move(data));
  session->pump();
  return true;
}

void chunked_stream::end() {
  if (!open()) return;
  ending = true;
  session->pump();
}

}  // namespace detail

responder::responder(std::shared_ptr<detail::session> session, std::uint64_t exchange)
    : session_(std::move(session)), exchange_(exchange) {}

void responder::operator()(response r) const { session_->reply(exchange_, std::move(r)); }

std::shared_ptr<stream_reply> responder::stream(const response& head) const {
  return session_->start_stream(exchange_, head);
}

void responder::upgrade_websocket(ws_handlers h) const {
  session_->upgrade(exchange_, std::move(h));
}

void responder::on_peer_closed(std::function<void()> fn) const {
  session_->on_peer_closed(exchange_, std::move(fn));
}

void server::impl::do_accept() {
  acceptor.async_accept(net::make_strand(ioc),
                        beast::bind_front_handler(&impl::on_accept, shared_from_this()));
}

void server::impl::on_accept(beast::error_code ec, tcp::socket socket) {
  if (stopped || ec == net::error::operation_aborted) return;
  if (paused) {
    // Accepted just before pause(): the port is down, so is this connection; resume() starts
    // the one accept chain again.
    beast::error_code ignored;
    socket.close(ignored);
    return;
  }
  if (ec) {
    // Out of descriptors or similar: retrying at once would spin and flood stderr; pending
    // connections wait in the backlog until descriptors are free again.
    fail(ec, "accept");
    backoff.expires_after(std::chrono::milliseconds(50));
    backoff.async_wait([self = shared_from_this()](beast::error_code wait_ec) {
      if (!wait_ec && !self->stopped && !self->paused) self->do_accept();
    });
    return;
  }
  beast::error_code peer_ec;
  const auto peer = socket.remote_endpoint(peer_ec).address();
  const bool over_cap = sessions >= options.max_connections;
  const bool over_share = !over_cap && !peer_ec && options.max_connections_per_address > 0 &&
                          per_address[peer] >= options.max_connections_per_address;
  if (over_cap || over_share || peer_ec) {  // peer_ec: the peer has gone already
    if (over_cap) ++refused;
    if (over_share) ++refused_per_address;
    beast::error_code ignored;
    socket.close(ignored);
    return do_accept();
  }
  auto s = std::make_shared<detail::session>(std::move(socket), shared_from_this(), peer);
  if (all_sessions.size() >= 2 * sessions + 64) {
    std::erase_if(all_sessions, [](const auto& w) { return w.expired(); });
  }
  all_sessions.push_back(s);
  s->run();
  do_accept();
}

server::server(net::io_context& ioc, const host_port& listen, server_options options,
               handler_fn handler, observer_fn observer)
    : impl_(std::make_shared<impl>(ioc, listen, std::move(options), std::move(handler),
                                   std::move(observer))) {}

server::~server() { stop(); }

void server::start() {
  auto& a = impl_->acceptor;
  beast::error_code ec;
  // Blocking resolution is fine here: the server starts before the io_context serves anything.
  tcp::endpoint ep;
  if (auto numeric = detail::numeric_endpoint(impl_->listen)) {
    ep = *numeric;
  } else {
    tcp::resolver resolver(impl_->ioc);
    const auto results =
        resolver.resolve(impl_->listen.host, std::to_string(impl_->listen.port), ec);
    if (!ec) ec = detail::first_endpoint(results, ep);
    if (ec) {
      throw std::runtime_error("cannot resolve listen address " + impl_->listen.to_string() + ": " +
                               ec.message());
    }
  }
  try {
    impl_->listen_on(ep);
  } catch (const beast::system_error& e) {
    beast::error_code ignored;
    a.close(ignored);
    throw std::runtime_error("cannot listen on " + impl_->listen.to_string() + ": " +
                             e.code().message());
  }
}

void server::impl::listen_on(const tcp::endpoint& ep) {
  acceptor.open(ep.protocol());
  acceptor.set_option(net::socket_base::reuse_address(true));
  acceptor.bind(ep);
  // The kernel takes the least of this and net.core.somaxconn: the most it allows, for the
  // thousands of connections a fan-out to many subscribers opens at once.
  acceptor.listen(65535);
  bound = acceptor.local_endpoint();
  do_accept();
}

std::size_t server::pause() {
  if (!impl_ || impl_->stopped || impl_->paused) return 0;
  impl_->paused = true;
  beast::error_code ec;
  impl_->acceptor.close(ec);
  impl_->backoff.cancel();
  std::size_t closed = 0;
  for (auto& w : std::exchange(impl_->all_sessions, {})) {
    if (auto s = w.lock(); s && !s->dropped()) {
      s->drop();
      ++closed;
    }
  }
  return closed;
}

void server::resume() {
  if (!impl_ || impl_->stopped || !impl_->paused) return;
  impl_->paused = false;
  try {
    impl_->listen_on(impl_->bound);
  } catch (const beast::system_error& e) {
    beast::error_code ignored;
    impl_->acceptor.close(ignored);
    throw std::runtime_error("cannot listen again on port " + std::to_string(impl_->bound.port()) +
                             ": " + e.code().message());
  }
}

void server::stop() {
  if (!impl_ || impl_->stopped) return;
  impl_->stopped = true;
  beast::error_code ec;
  impl_->acceptor.close(ec);
  impl_->backoff.cancel();
}

std::size_t server::sessions() const { return impl_->sessions; }

std::uint64_t server::tls_handshakes() const { return impl_->tls_handshakes; }

std::uint64_t server::tls_handshake_failures() const { return impl_->tls_handshake_failures; }
std::uint64_t server::refused_connections() const { return impl_->refused; }

std::uint64_t server::refused_per_address() const { return impl_->refused_per_address; }

std::uint64_t server::timed_out_requests() const { return impl_->timed_out; }

std::uint16_t server::port() const {
  beast::error_code ec;
  auto ep = impl_->acceptor.local_endpoint(ec);
  return ec ? 0 : ep.port();
}

}  // namespace hookbench::http
