// The bounds on what a peer can make this side hold or keep: the server's read buffer (chunk
// extensions and trailers, which Beast's header limit does not cover), the client's (webhook
// responses, event streams), the event-stream parser's line and message limits, the wait for a
// new connection's first request and the per-address connection cap. In-process on 127.0.0.1:0;
// every wait is bounded.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <chrono>
#include <functional>
#include <future>
#include <optional>
#include <string>
#include <thread>

#include "consumer/sse_parser.hpp"
#include "http/client.hpp"
#include "http/request_parser.hpp"
#include "http/server.hpp"

namespace hookbench {
namespace {

namespace net = boost::asio;
constexpr auto kWait = std::chrono::seconds(10);

// A loopback TCP connection; each receive is bounded by `recv_timeout_s`.
class peer_socket {
 public:
  peer_socket(std::uint16_t port, int recv_timeout_s) : fd_(socket(AF_INET, SOCK_STREAM, 0)) {
    timeval tv{recv_timeout_s, 0};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  }
  ~peer_socket() { ::close(fd_); }
  peer_socket(const peer_socket&) = delete;
  peer_socket& operator=(const peer_socket&) = delete;

  bool connected() const { return connected_; }
  // What was sent before the server closed (a refused oversized request stops early).
  std::size_t send_all(const std::string& bytes) {
    std::size_t sent = 0;
    while (sent < bytes.size()) {
      const ssize_t n = send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) break;
      sent += static_cast<std::size_t>(n);
    }
    return sent;
  }
  // Reads until the peer closes; false when the receive timeout passed first.
  bool read_to_close() {
    char buf[4096];
    for (;;) {
      const ssize_t n = recv(fd_, buf, sizeof buf, 0);
      if (n > 0) {
        in_.append(buf, static_cast<std::size_t>(n));
        continue;
      }
      return n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK);
    }
  }
  const std::string& received() const { return in_; }

 private:
  int fd_;
  bool connected_ = false;
  std::string in_;
};

unsigned status_of(const std::string& response) {
  if (response.rfind("HTTP/1.", 0) != 0 || response.size() < 12) return 0;
  return static_cast<unsigned>(std::stoul(response.substr(9, 3)));
}

// A server with small limits on its own io thread.
class limits_test : public ::testing::Test {
 protected:
  void start(http::server_options options) {
    server_.emplace(
        ioc_, host_port{"127.0.0.1", 0}, options,
        [](http::request&&, http::reply_fn reply) { reply(http::response(200, "{}")); });
    server_->start();
    port_ = server_->port();
    work_.emplace(net::make_work_guard(ioc_));
    thread_ = std::thread([this] { ioc_.run(); });
  }

  void TearDown() override {
    work_.reset();
    ioc_.stop();
    if (thread_.joinable()) thread_.join();
    server_.reset();
  }

  template <class T>
  T on_io(std::function<T()> fn) {
    std::promise<T> p;
    auto f = p.get_future();
    net::post(ioc_, [&] { p.set_value(fn()); });
    EXPECT_EQ(f.wait_for(kWait), std::future_status::ready);
    return f.get();
  }

  std::string exchange(const std::string& raw) {
    peer_socket s(port_, 5);
    s.send_all(raw);
    s.read_to_close();
    return s.received();
  }

  net::io_context ioc_;
  std::optional<net::executor_work_guard<net::io_context::executor_type>> work_;
  std::thread thread_;
  std::optional<http::server> server_;
  std::uint16_t port_ = 0;
};

const std::string kChunkedHead =
    "POST /x HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n";

TEST_F(limits_test, chunk_extensions_and_trailers_past_the_read_buffer_get_413) {
  http::server_options o;
  o.header_limit = 1024;
  o.body_limit = 4096;
  start(o);
  const std::size_t limit = http::detail::read_buffer_limit(o.header_limit, o.body_limit);
  const std::string big(4 * limit, 'a');
  const std::string cases[] = {
      kChunkedHead + "1;ext=" + big + "\r\nx\r\n0\r\n\r\n",            // one chunk extension
      kChunkedHead + "1\r\nx\r\n0;ext=" + big + "\r\n\r\n",            // the last chunk's
      kChunkedHead + "1\r\nx\r\n0\r\nX-Trailer: " + big + "\r\n\r\n",  // a trailer
  };
  for (const auto& raw : cases) {
    const std::string out = exchange(raw);
    EXPECT_EQ(status_of(out), 413u) << out.substr(0, 200);
    EXPECT_NE(out.find("read buffer"), std::string::npos) << out;
  }
  // Within the bound, both are parsed, and the server keeps serving.
  EXPECT_EQ(status_of(exchange(kChunkedHead + "1;e=v\r\nx\r\n0\r\nX-T: v\r\n\r\n")), 200u);
}

// Beast 1.74 throws (ending the process) for a field longer than 65 535 bytes, and a trailer is
// bounded by the read buffer alone: with the default limits (a 64 KiB body, so a buffer that
// used to hold 84 KiB) a 70 000-byte trailer field, sent without a token, must get 413, and the
// server must keep serving.
TEST_F(limits_test, a_trailer_field_longer_than_beast_can_store_gets_413_with_default_limits) {
  start(http::server_options{});
  const std::string field(70'000, 'b');
  const std::string out = exchange(kChunkedHead + "1\r\nx\r\n0\r\nX-T: " + field + "\r\n\r\n");
  EXPECT_EQ(status_of(out), 413u) << out.substr(0, 200);
  EXPECT_EQ(status_of(exchange(kChunkedHead + "1\r\nx\r\n0\r\n\r\n")), 200u);
  // A body larger than the read buffer still streams through it.
  const std::string body(50'000, 'c');
  EXPECT_EQ(status_of(exchange("POST /x HTTP/1.1\r\nHost: t\r\nConnection: close\r\n"
                               "Content-Length: 50000\r\n\r\n" +
                               body)),
            200u);
  EXPECT_LT(http::detail::read_buffer_limit(16 * 1024, 1024 * 1024), std::size_t{65535});
}

// A bare server that answers any request with `response` and closes.
class canned_server {
 public:
  explicit canned_server(std::string response) {
    listener_ = socket(AF_INET, SOCK_STREAM, 0);
    timeval tv{5, 0};  // bounds the accept
    setsockopt(listener_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    bind(listener_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    listen(listener_, 1);
    getsockname(listener_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this, response = std::move(response)] {
      const int fd = accept(listener_, nullptr, nullptr);
      if (fd < 0) return;
      timeval stv{5, 0};
      setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &stv, sizeof stv);
      char buf[4096];
      (void)!recv(fd, buf, sizeof buf, 0);
      std::size_t sent = 0;
      while (sent < response.size()) {
        const ssize_t n = ::send(fd, response.data() + sent, response.size() - sent, MSG_NOSIGNAL);
        if (n <= 0) break;  // the client gave up on it
        sent += static_cast<std::size_t>(n);
      }
      ::close(fd);
    });
  }
  ~canned_server() {
    thread_.join();
    ::close(listener_);
  }
  canned_server(const canned_server&) = delete;
  canned_server& operator=(const canned_server&) = delete;
  std::uint16_t port() const { return port_; }

 private:
  int listener_;
  std::uint16_t port_ = 0;
  std::thread thread_;
};

const std::string kChunkedResponse = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";

// One request to a canned_server answering `response`: the exchange's outcome (unset when it
// did not end within kWait) and the body's size.
struct sent {
  std::optional<boost::system::error_code> result;
  std::size_t body = 0;
};
sent send_to_canned(const std::string& response, const http::client_options& o) {
  canned_server peer(response);
  net::io_context ioc;
  http::client_connection conn(ioc, {"127.0.0.1", peer.port()}, o);
  sent out;
  conn.async_send({}, [&](boost::system::error_code ec, http::client_response&& r) {
    out.result = ec;
    out.body = r.body.size();
  });
  ioc.run_for(kWait);
  return out;
}

TEST(client_read_limits, a_response_past_the_read_buffer_fails_naming_the_limit) {
  // The dispatcher reads webhook responses with a 64 KiB body limit.
  http::client_options o;
  o.body_limit = 64 * 1024;
  const std::string big(1024 * 1024, 'a');
  for (const std::string& response :
       {kChunkedResponse + "1;ext=" + big + "\r\nx\r\n0\r\n\r\n",
        kChunkedResponse + "1\r\nx\r\n0\r\nX-Trailer: " + big + "\r\n\r\n"}) {
    const auto result = send_to_canned(response, o).result;
    ASSERT_TRUE(result.has_value());
    EXPECT_EQ(*result, boost::beast::http::error::buffer_overflow) << result->message();
    EXPECT_NE(http::describe(*result).find("read buffer limit"), std::string::npos)
        << http::describe(*result);
  }
}

// As on the server: a webhook receiver (or a poll answer, or an event stream) that sends a
// trailer field longer than Beast can store gets a read error, never a process that ends.
TEST(client_read_limits, a_trailer_field_longer_than_beast_can_store_is_a_read_error) {
  http::client_options o;
  o.body_limit = 64 * 1024;  // the dispatcher's
  const std::string response =
      kChunkedResponse + "1\r\nx\r\n0\r\nX-T: " + std::string(70'000, 'b') + "\r\n\r\n";
  {
    const auto result = send_to_canned(response, o).result;
    ASSERT_TRUE(result.has_value());
    EXPECT_EQ(*result, boost::beast::http::error::buffer_overflow) << result->message();
  }
  {
    canned_server peer(response);
    net::io_context ioc;
    http::client_connection conn(ioc, {"127.0.0.1", peer.port()});
    std::optional<boost::system::error_code> end;
    http::stream_callbacks cb;
    cb.on_data = [](std::string_view) {};
    cb.on_end = [&](boost::system::error_code ec) { end = ec; };
    conn.async_stream({}, std::move(cb));
    ioc.run_for(kWait);
    ASSERT_TRUE(end.has_value());
    EXPECT_EQ(*end, boost::beast::http::error::buffer_overflow) << end->message();
  }
  // A body larger than the read buffer still arrives whole.
  {
    const auto out = send_to_canned(
        "HTTP/1.1 200 OK\r\nContent-Length: 60000\r\n\r\n" + std::string(60'000, 'z'), o);
    ASSERT_TRUE(out.result.has_value());
    EXPECT_FALSE(*out.result) << out.result->message();
    EXPECT_EQ(out.body, 60'000u);
  }
}

TEST(client_read_limits, a_content_length_past_the_body_limit_is_refused_from_the_head) {
  http::client_options o;
  o.body_limit = 64 * 1024;
  const auto out = send_to_canned(
      "HTTP/1.1 200 OK\r\nContent-Length: 1048576\r\n\r\n" + std::string(1024 * 1024, 'z'), o);
  ASSERT_TRUE(out.result.has_value());
  EXPECT_EQ(*out.result, boost::beast::http::error::body_limit) << out.result->message();
  EXPECT_EQ(http::describe(*out.result), "response body exceeds the body limit");
  EXPECT_EQ(out.body, 0u);
}

TEST(client_read_limits, a_streamed_response_past_the_read_buffer_ends_with_the_error) {
  canned_server peer(kChunkedResponse + "1\r\nx\r\n5;ext=" +
                     std::string(2 * http::kStreamReadAhead, 'a') + "\r\nhello\r\n0\r\n\r\n");
  net::io_context ioc;
  http::client_connection conn(ioc, {"127.0.0.1", peer.port()});
  std::string body;
  std::optional<boost::system::error_code> end;
  http::stream_callbacks cb;
  cb.on_data = [&](std::string_view d) { body += d; };
  cb.on_end = [&](boost::system::error_code ec) { end = ec; };
  conn.async_stream({}, std::move(cb));
  ioc.run_for(kWait);
  ASSERT_TRUE(end.has_value());
  EXPECT_EQ(*end, boost::beast::http::error::buffer_overflow) << end->message();
  EXPECT_EQ(body, "x");
}

TEST(sse_parser_limits, a_line_or_message_past_its_limit_stops_the_parser) {
  int messages = 0;
  const auto on_message = [&](const sse_parser::message&) { ++messages; };
  const auto ignore = [](auto) {};
  sse_parser lines(64, 256);
  EXPECT_TRUE(lines.feed("data: short\n\n", on_message, ignore, ignore));
  EXPECT_FALSE(lines.feed("data: " + std::string(100, 'x'), on_message, ignore, ignore));
  EXPECT_EQ(lines.error(), "an event stream line exceeds 64 bytes");
  EXPECT_FALSE(lines.feed("\n\ndata: more\n\n", on_message, ignore, ignore));
  EXPECT_EQ(messages, 1);
  EXPECT_EQ(lines.buffered(), 0u);

  sse_parser events(64, 256);
  std::string many;
  for (int i = 0; i < 10; ++i) many += "data: " + std::string(40, 'y') + "\n";
  EXPECT_FALSE(events.feed(many, on_message, ignore, ignore));
  EXPECT_EQ(events.error(), "an event stream message exceeds 256 bytes");
  EXPECT_LE(events.buffered(), 256u + 64u);
  EXPECT_EQ(messages, 1);
}

TEST_F(limits_test, a_silent_new_connection_is_closed_at_the_first_request_timeout) {
  http::server_options o;
  o.first_request_timeout = 300 * kNanosPerMilli;
  o.idle_timeout = 30 * kNanosPerSecond;
  start(o);
  peer_socket silent(port_, 10);
  ASSERT_TRUE(silent.connected());
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_TRUE(silent.read_to_close()) << "still open after 10 s";
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(8));
  EXPECT_EQ(silent.received(), "");
  // A connection that has sent a request waits the idle timeout instead.
  peer_socket kept(port_, 1);
  kept.send_all("GET / HTTP/1.1\r\nHost: t\r\n\r\n");
  std::this_thread::sleep_for(std::chrono::milliseconds(800));
  EXPECT_FALSE(kept.read_to_close())
      << "a kept-alive connection was closed before its idle timeout";
  EXPECT_EQ(status_of(kept.received()), 200u);
}

TEST_F(limits_test, connections_past_the_per_address_cap_are_closed_and_counted) {
  http::server_options o;
  o.max_connections_per_address = 3;
  start(o);
  std::vector<std::unique_ptr<peer_socket>> held;
  for (int i = 0; i < 3; ++i) held.push_back(std::make_unique<peer_socket>(port_, 2));
  for (int i = 0; i < 2; ++i) {
    peer_socket extra(port_, 5);
    ASSERT_TRUE(extra.connected());
    EXPECT_TRUE(extra.read_to_close()) << "a connection past the per-address cap was held";
    EXPECT_EQ(extra.received(), "");
  }
  EXPECT_EQ(on_io<std::uint64_t>([&] { return server_->refused_per_address(); }), 2u);
  EXPECT_EQ(on_io<std::uint64_t>([&] { return server_->refused_connections(); }), 0u);
  // Once one leaves, the address has room again.
  held.pop_back();
  std::string out;
  for (int i = 0; i < 100 && status_of(out) != 200; ++i) {
    out = exchange("GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
    if (status_of(out) != 200) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(status_of(out), 200u) << out;
}

}  // namespace
}  // namespace hookbench
