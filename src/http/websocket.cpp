// Beast WebSocket sessions (the Beast example/websocket async shape): one read always pending,
// a queue so that one write at a time is in flight, the close frame after the queue drains.
#include "http/websocket.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <deque>

#include "http/endpoint.hpp"
#include "http/tls_stream.hpp"

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace websocket = boost::beast::websocket;
using tcp = net::ip::tcp;

namespace hookbench::http {
namespace {

// What a connection's read buffer keeps between messages; a larger one is given back.
constexpr std::size_t kKeptBufferCapacity = 16 * 1024;

// A message travels as one frame: a 2, 4 or 10 byte header, and a mask key from clients.
std::uint64_t frame_bytes(std::size_t payload, bool masked) {
  const std::uint64_t header = payload < 126 ? 2 : payload < 65536 ? 4 : 10;
  return payload + header + (masked ? 4 : 0);
}

// A head as Beast writes it: start line, "name: value\r\n" per field, a blank line.
std::uint64_t field_bytes(const bhttp::fields& fields) {
  std::uint64_t n = 2;
  for (const auto& f : fields) n += f.name_string().size() + 2 + f.value().size() + 2;
  return n;
}

std::uint64_t head_bytes(const websocket::request_type& req) {
  return req.method_string().size() + 1 + req.target().size() + sizeof(" HTTP/1.1\r\n") - 1 +
         field_bytes(req);
}

std::uint64_t head_bytes(const websocket::response_type& res) {
  return sizeof("HTTP/1.1 101 \r\n") - 1 + res.reason().size() + field_bytes(res) +
         res.body().size();
}

class ws_session final : public ws_connection, public std::enable_shared_from_this<ws_session> {
 public:
  ws_session(detail::tls_stream&& stream, ws_handlers h, bool client, tls_context tls = nullptr)
      : tls_(std::move(tls)), ws_(std::move(stream)), handlers_(std::move(h)), client_(client) {
    // Beast's default is 16 MiB; past the maximum it sends a close frame with 1009 itself.
    ws_.read_message_max(handlers_.max_message);
  }

  bool send(std::string text) override {
    if (!open_) return false;
    queued_ += text.size();
    queue_.push_back(std::move(text));
    if (!writing_) do_write();
    return true;
  }

  void close() override {
    if (!open_) return;
    open_ = false;
    if (!writing_) do_close();
  }

  bool open() const override { return open_; }
  std::size_t queued_bytes() const override { return queued_; }
  std::uint64_t bytes_sent() const override { return sent_; }
  std::uint64_t bytes_received() const override { return received_; }

  void accept(const request& upgrade, std::string server_name, detail::ws_end_fn on_end) {
    on_end_ = std::move(on_end);
    received_ = upgrade.wire_bytes;
    ws_.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
    ws_.set_option(websocket::stream_base::decorator(
        [this, name = std::move(server_name)](websocket::response_type& res) {
          res.set(bhttp::field::server, name);
          status_ = res.result_int();
          sent_ += head_bytes(res);
        }));
    // Beast builds its answer from the request at once, so a local copy is enough.
    bhttp::request<bhttp::empty_body> req;
    req.version(11);
    req.method_string(upgrade.method);
    req.target(upgrade.target);
    for (const auto& [k, v] : upgrade.headers) req.insert(k, v);
    ws_.async_accept(req, beast::bind_front_handler(&ws_session::on_handshake, shared_from_this()));
  }

  void handshake(const host_port& to, const std::string& target, header_list headers,
                 nanos timeout) {
    auto limits = websocket::stream_base::timeout::suggested(beast::role_type::client);
    limits.handshake_timeout = std::chrono::nanoseconds(timeout);
    ws_.set_option(limits);
    ws_.set_option(websocket::stream_base::decorator(
        [this, headers = std::move(headers)](websocket::request_type& req) {
          req.set(bhttp::field::user_agent, "hookbench");
          for (const auto& [k, v] : headers) req.set(k, v);
          sent_ += head_bytes(req);
        }));
    ws_.async_handshake(handshake_response_, to.to_string(), target,
                        beast::bind_front_handler(&ws_session::on_handshake, shared_from_this()));
  }

 private:
  void on_handshake(beast::error_code ec) {
    if (client_) received_ += head_bytes(handshake_response_);
    handshake_response_ = {};
    if (ec) return finish();
    open_ = true;
    ws_.text(true);
    do_read();
    if (handlers_.on_open) handlers_.on_open(shared_from_this());
  }

  void do_read() {
    ws_.async_read(buffer_, beast::bind_front_handler(&ws_session::on_read, shared_from_this()));
  }

  void on_read(beast::error_code ec, std::size_t bytes) {
    if (ec) return finish();  // closed by either side, or the peer gone
    received_ += frame_bytes(bytes, !client_);
    std::string message = beast::buffers_to_string(buffer_.data());
    buffer_.consume(buffer_.size());
    // One large message should not leave its room held for the connection's life.
    if (buffer_.capacity() > kKeptBufferCapacity) buffer_.shrink_to_fit();
    if (handlers_.on_message) handlers_.on_message(std::move(message));
    do_read();
  }

  void do_write() {
    writing_ = true;
    ws_.async_write(net::buffer(queue_.front()),
                    beast::bind_front_handler(&ws_session::on_write, shared_from_this()));
  }

  void on_write(beast::error_code ec, std::size_t bytes) {
    writing_ = false;
    if (ec) return finish();
    sent_ += frame_bytes(bytes, client_);
    queued_ -= queue_.front().size();
    queue_.pop_front();
    if (!queue_.empty()) return do_write();
    if (!open_) do_close();  // close() was called while the queue drained
  }

  void do_close() {
    if (finished_) return;
    sent_ += frame_bytes(2, client_);  // the close frame carries its 2-byte code
    ws_.async_close(websocket::close_code::normal,
                    beast::bind_front_handler(&ws_session::on_closed, shared_from_this()));
  }

  void on_closed(beast::error_code) { finish(); }

  // Runs once, whichever of the read, the write or the close learns first that it is over.
  void finish() {
    if (finished_) return;
    finished_ = true;
    open_ = false;
    queue_.clear();
    queued_ = 0;
    beast::get_lowest_layer(ws_).close();
    // The handlers may hold this connection: let them go, or neither would be freed.
    auto handlers = std::exchange(handlers_, {});
    if (on_end_) std::exchange(on_end_, nullptr)(status_, received_, sent_);
    if (handlers.on_close) handlers.on_close();
  }

  tls_context tls_;  // the client's, held while its stream uses it
  websocket::stream<detail::tls_stream> ws_;
  beast::flat_buffer buffer_;
  ws_handlers handlers_;
  const bool client_;
  websocket::response_type handshake_response_;  // the client's, while handshaking
  detail::ws_end_fn on_end_;                     // the server's
  unsigned status_ = 0;
  std::deque<std::string> queue_;
  std::size_t queued_ = 0;
  std::uint64_t sent_ = 0;
  std::uint64_t received_ = 0;
  bool open_ = false;  // from the handshake until close() or the end
  bool writing_ = false;
  bool finished_ = false;
};

// The client's way to an open connection: resolve (names only), connect, the TLS handshake
// (wss), then hand the stream to a ws_session for the WebSocket handshake.
class ws_connector : public std::enable_shared_from_this<ws_connector> {
 public:
  ws_connector(net::io_context& ioc, host_port to, std::string target, header_list headers,
               ws_handlers h, nanos timeout, tls_context tls)
      : tls_(std::move(tls)),
        stream_(ioc, tls_.get()),
        resolver_(ioc),
        to_(std::move(to)),
        target_(std::move(target)),
        headers_(std::move(headers)),
        handlers_(std::move(h)),
        timeout_(timeout),
        started_ns_(now_ns()) {}

  void run() {
    if (auto endpoint = detail::numeric_endpoint(to_)) return connect(*endpoint);
    resolver_.async_resolve(
        to_.host, std::to_string(to_.port),
        beast::bind_front_handler(&ws_connector::on_resolve, shared_from_this()));
  }

 private:
  void on_resolve(beast::error_code ec, const tcp::resolver::results_type& results) {
    tcp::endpoint endpoint;
    if (!ec) ec = detail::first_endpoint(results, endpoint);
    if (ec) return fail();
    connect(endpoint);
  }

  void connect(const tcp::endpoint& endpoint) {
    stream_.expires_after(std::chrono::nanoseconds(timeout_));
    stream_.tcp().async_connect(
        endpoint, beast::bind_front_handler(&ws_connector::on_connect, shared_from_this()));
  }

  void on_connect(beast::error_code ec) {
    if (ec) return fail();
    stream_.socket().set_option(tcp::no_delay(true), ec);
    if (!stream_.is_tls()) return upgrade();
    stream_.verify_peer_name(to_.host);
    stream_.tls().async_handshake(
        net::ssl::stream_base::client,
        beast::bind_front_handler(&ws_connector::on_tls_handshake, shared_from_this()));
  }

  void on_tls_handshake(beast::error_code ec) {
    if (ec) return fail();
    upgrade();
  }

  void upgrade() {
    // The WebSocket has timeouts of its own; the handshake gets what is left of ours.
    stream_.expires_never();
    const nanos left = std::max<nanos>(timeout_ - (now_ns() - started_ns_), kNanosPerMilli);
    std::make_shared<ws_session>(std::move(stream_), std::move(handlers_), true, tls_)
        ->handshake(to_, target_, std::move(headers_), left);
  }

  void fail() {
    if (handlers_.on_close) handlers_.on_close();
  }

  tls_context tls_;  // held while the stream uses it
  detail::tls_stream stream_;
  tcp::resolver resolver_;
  host_port to_;
  std::string target_;
  header_list headers_;
  ws_handlers handlers_;
  nanos timeout_;
  nanos started_ns_;
};

}  // namespace

void ws_connect(net::io_context& ioc, host_port to, std::string target, header_list headers,
                ws_handlers h, nanos timeout, tls_context tls) {
  std::make_shared<ws_connector>(ioc, std::move(to), std::move(target), std::move(headers),
                                 std::move(h), timeout, std::move(tls))
      ->run();
}

namespace detail {

void ws_accept(tls_stream&& stream, const request& upgrade, std::string server_name, ws_handlers h,
               ws_end_fn on_end) {
  std::make_shared<ws_session>(std::move(stream), std::move(h), false)
      ->accept(upgrade, std::move(server_name), std::move(on_end));
}

}  // namespace detail
}  // namespace hookbench::http
