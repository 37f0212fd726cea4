// The HTTP layer in-process (http/server, http/client, and the producer's routes) on
// 127.0.0.1:0: keep-alive reuse versus a connection per request, and bad requests (malformed
// HTTP, oversized bodies, unknown paths) answered with a status and a reason while the server
// keeps serving. The io_context runs on its own thread; every wait on it is bounded.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <future>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>

#include "http/client.hpp"
#include "http/server.hpp"
#include "http/websocket.hpp"
#include "producer/producer.hpp"

namespace hookbench {
namespace {

namespace net = boost::asio;
constexpr auto kWait = std::chrono::seconds(10);

// A blocking loopback client for byte-exact checks; every send and receive is bounded (5 s).
class raw_socket {
 public:
  explicit raw_socket(std::uint16_t port) : fd_(socket(AF_INET, SOCK_STREAM, 0)) {
    if (fd_ < 0) return;
    timeval tv{5, 0};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) close();
  }
  ~raw_socket() { close(); }
  raw_socket(const raw_socket&) = delete;
  raw_socket& operator=(const raw_socket&) = delete;

  bool connected() const { return fd_ >= 0; }

  // Errors are ignored: a server may answer and close before reading all of an oversized request.
  void send_all(const std::string& bytes) {
    std::size_t sent = 0;
    while (fd_ >= 0 && sent < bytes.size()) {
      const ssize_t n = send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) break;
      sent += static_cast<std::size_t>(n);
    }
  }

  // Everything received so far once it contains `marker`, or when the peer closes or 5 s pass.
  std::string read_until(std::string_view marker) {
    while (fd_ >= 0 && in_.find(marker) == std::string::npos && read_some()) {
    }
    return in_;
  }

  std::string read_to_close() {
    while (fd_ >= 0 && read_some()) {
    }
    return in_;
  }

  void close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  bool read_some() {
    char buf[4096];
    const ssize_t n = recv(fd_, buf, sizeof buf, 0);
    if (n <= 0) return false;
    in_.append(buf, static_cast<std::size_t>(n));
    return true;
  }

  int fd_;
  std::string in_;
};

// Sends `raw` on a fresh loopback connection and returns everything the server sends back
// until it closes (or 5 s pass).
std::string raw_exchange(std::uint16_t port, const std::string& raw) {
  raw_socket s(port);
  if (!s.connected()) return "<connect failed>";
  s.send_all(raw);
  return s.read_to_close();
}

// "HTTP/1.1 413 Payload Too Large\r\n..." -> 413; 0 when there is no status line.
unsigned status_of(const std::string& response) {
  if (response.rfind("HTTP/1.", 0) != 0 || response.size() < 12) return 0;
  return static_cast<unsigned>(std::stoul(response.substr(9, 3)));
}

std::string body_of(const std::string& response) {
  const auto end = response.find("\r\n\r\n");
  return end == std::string::npos ? "" : response.substr(end + 4);
}

std::string error_text(const http::client_response& res) {
  auto j = nlohmann::json::parse(res.body, nullptr, false);
  return j.is_object() ? j.value("error", "") : "";
}

// An io_context on its own thread; work is handed to it with post() and awaited with a bound.
class io_thread_test : public ::testing::Test {
 protected:
  void start_io() {
    work_.emplace(net::make_work_guard(ioc_));
    thread_ = std::thread([this] { ioc_.run(); });
  }

  void TearDown() override { stop_io(); }

  void stop_io() {
    work_.reset();
    ioc_.stop();
    if (thread_.joinable()) thread_.join();
  }

  // Runs `fn` on the io thread and waits for it.
  template <class Fn>
  void on_io(Fn fn) {
    auto done = std::make_shared<std::promise<void>>();
    auto f = done->get_future();
    net::post(ioc_, [fn = std::move(fn), done]() mutable {
      fn();
      done->set_value();
    });
    ASSERT_EQ(f.wait_for(kWait), std::future_status::ready) << "io thread did not run the task";
  }

  struct outcome {
    boost::system::error_code ec;
    http::client_response response;
  };
  // Sends `req` on `conn` from the io thread and waits for the callback.
  std::optional<outcome> send(http::client_connection& conn, http::client_request req) {
    auto result = std::make_shared<std::promise<outcome>>();
    auto f = result->get_future();
    net::post(ioc_, [&conn, req = std::move(req), result]() mutable {
      conn.async_send(std::move(req),
                      [result](boost::system::error_code ec, http::client_response&& r) {
                        result->set_value({ec, std::move(r)});
                      });
    });
    if (f.wait_for(kWait) != std::future_status::ready) return std::nullopt;
    return f.get();
  }

  net::io_context ioc_;
  std::optional<net::executor_work_guard<net::io_context::executor_type>> work_;
  std::thread thread_;
};

// --- the bare server and client -----------------------------------------------------------

class http_server_test : public io_thread_test {
 protected:
  void SetUp() override {
    http::server_options options;
    options.body_limit = 1024;
    server_.emplace(
        ioc_, host_port{"127.0.0.1", 0}, options,
        [this](http::request&& req, http::reply_fn reply) {
          ++handled_;
          nlohmann::json j{{"method", req.method},
                           {"path", req.path()},
                           {"after", req.query("after", "none")},
                           {"body_bytes", req.body.size()},
                           {"keep_alive", req.keep_alive}};
          reply(http::response(200, j.dump()));
        },
        [this](const http::exchange& x) { ++observed_[x.status]; });
    server_->start();
    port_ = server_->port();
    ASSERT_NE(port_, 0);
    start_io();
  }

  void TearDown() override {
    stop_io();
    server_.reset();
  }

  std::unique_ptr<http::client_connection> make_client(bool keep_alive) {
    http::client_options o;
    o.keep_alive = keep_alive;
    o.timeout = 5 * kNanosPerSecond;
    return std::make_unique<http::client_connection>(ioc_, host_port{"127.0.0.1", port_}, o);
  }

  std::uint64_t opened(http::client_connection& c) {
    std::uint64_t n = 0;
    on_io([&] { n = c.connections_opened(); });
    return n;
  }

  void destroy_on_io(std::unique_ptr<http::client_connection>& c) {
    on_io([&] { c.reset(); });
  }

  std::optional<http::server> server_;
  std::uint16_t port_ = 0;
  int handled_ = 0;                   // touched only on the io thread
  std::map<unsigned, int> observed_;  // status -> exchanges, io thread only
};

TEST_F(http_server_test, keep_alive_reuses_one_connection) {
  auto client = make_client(true);
  for (int i = 0; i < 5; ++i) {
    auto r = send(*client, {"GET", "/x?after=" + std::to_string(i), {}, {}, {}});
    ASSERT_TRUE(r) << "request " << i << " timed out";
    ASSERT_FALSE(r->ec) << r->ec.message();
    EXPECT_EQ(r->response.status, 200u);
    const auto j = nlohmann::json::parse(r->response.body);
    EXPECT_EQ(j["after"], std::to_string(i));
    EXPECT_EQ(j["keep_alive"], true);
    EXPECT_GT(r->response.bytes_sent, 0u);
    EXPECT_GT(r->response.bytes_received, r->response.body.size());  // headers are counted
  }
  EXPECT_EQ(opened(*client), 1u);
  destroy_on_io(client);
}

TEST_F(http_server_test, new_connection_mode_opens_one_per_request) {
  auto client = make_client(false);
  for (int i = 0; i < 4; ++i) {
    auto r = send(*client, {"POST", "/y", "{\"n\":1}", "application/json", {}});
    ASSERT_TRUE(r) << "request " << i << " timed out";
    ASSERT_FALSE(r->ec) << r->ec.message();
    EXPECT_EQ(r->response.status, 200u);
    const auto j = nlohmann::json::parse(r->response.body);
    EXPECT_EQ(j["keep_alive"], false);
    EXPECT_EQ(j["body_bytes"], 7);
    EXPECT_EQ(r->response.header("connection"), "close");
  }
  EXPECT_EQ(opened(*client), 4u);
  destroy_on_io(client);
}

TEST_F(http_server_test, blocking_fetch_works_from_another_thread) {
  http::client_response res;
  auto ec = http::fetch({"127.0.0.1", port_}, {"GET", "/ping", {}, {}, {}}, res);
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_EQ(res.status, 200u);
  EXPECT_EQ(nlohmann::json::parse(res.body)["path"], "/ping");
}

TEST_F(http_server_test, refused_connection_is_an_error_not_a_hang) {
  stop_io();
  server_.reset();  // nothing listens on port_ now
  http::client_response res;
  auto ec = http::fetch({"127.0.0.1", port_}, {"GET", "/", {}, {}, {}}, res, kNanosPerSecond);
  EXPECT_TRUE(ec);
}

// The second line of defence: whatever a caller hands it, the client writes no target or header
// that could end a line early, and connects to no address its check refuses.
TEST_F(http_server_test, an_unsafe_target_or_header_is_refused_and_nothing_is_sent) {
  auto client = make_client(true);
  for (const std::string target :
       {"/x HTTP/1.1\r\nX: 1\r\n\r\nDELETE /admin", "/x\ny", "/caf\xc3\xa9", "/a b"}) {
    auto r = send(*client, {"GET", target, {}, {}, {}});
    ASSERT_TRUE(r) << "timed out";
    EXPECT_EQ(r->ec, net::error::invalid_argument) << r->ec.message();
    EXPECT_EQ(r->response.refusal.rfind("target: request target has ", 0), 0u)
        << r->response.refusal;
  }
  auto header = send(*client, {"GET", "/x", {}, {}, {{"X-A", "1\r\nX-Injected: 1"}}});
  ASSERT_TRUE(header);
  EXPECT_EQ(header->ec, net::error::invalid_argument);
  EXPECT_EQ(opened(*client), 0u);
  // The client still works for a safe request.
  auto ok = send(*client, {"GET", "/x", {}, {}, {}});
  ASSERT_TRUE(ok);
  EXPECT_FALSE(ok->ec) << ok->ec.message();
  destroy_on_io(client);
  int handled = 0;
  on_io([&] { handled = handled_; });
  EXPECT_EQ(handled, 1);
}

TEST_F(http_server_test, an_address_the_check_refuses_is_never_connected_to) {
  http::client_options o;
  o.check_address = [](const boost::asio::ip::address& a) {
    return a.is_loopback() ? "loopback: " + a.to_string() + " refused" : std::string();
  };
  auto client = std::make_unique<http::client_connection>(ioc_, host_port{"127.0.0.1", port_}, o);
  auto r = send(*client, {"GET", "/x", {}, {}, {}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->ec, net::error::access_denied);
  EXPECT_EQ(r->response.refusal, "loopback: 127.0.0.1 refused");
  EXPECT_EQ(opened(*client), 0u);
  destroy_on_io(client);
  int handled = 0;
  on_io([&] { handled = handled_; });
  EXPECT_EQ(handled, 0);
}

TEST_F(http_server_test, two_requests_on_one_raw_socket) {
  const std::string out = raw_exchange(
      port_,
      "GET /a HTTP/1.1\r\nHost: t\r\n\r\nGET /b HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
  const auto first = out.find("\"path\":\"/a\"");
  const auto second = out.find("\"path\":\"/b\"");
  EXPECT_NE(first, std::string::npos) << out;
  EXPECT_NE(second, std::string::npos) << out;
  EXPECT_LT(first, second);
}

TEST_F(http_server_test, malformed_http_gets_400_and_server_keeps_serving) {
  for (const char* garbage : {"this is not http\r\n\r\n", "\x01\x02\x03\r\n\r\n",
                              "GET / HTTP/1.1\r\nbad header line\r\n\r\n",
                              "POST / HTTP/1.1\r\nContent-Length: -5\r\n\r\n"}) {
    const std::string out = raw_exchange(port_, garbage);
    EXPECT_EQ(status_of(out), 400u) << "for " << ::testing::PrintToString(garbage) << ": " << out;
    const auto j = nlohmann::json::parse(body_of(out), nullptr, false);
    ASSERT_TRUE(j.is_object()) << out;
    EXPECT_NE(j.value("error", "").find("malformed HTTP"), std::string::npos) << out;
    http::client_response res;
    ASSERT_FALSE(http::fetch({"127.0.0.1", port_}, {"GET", "/ok", {}, {}, {}}, res));
    EXPECT_EQ(res.status, 200u);
  }
  int handled = 0;
  on_io([&] { handled = handled_; });
  EXPECT_EQ(handled, 4);  // the handler never saw the garbage
  int counted = 0;
  on_io([&] { counted = observed_[400]; });
  EXPECT_EQ(counted, 4);  // but the observer counted every rejection
}

TEST_F(http_server_test, oversized_body_gets_413_and_server_keeps_serving) {
  const std::string body(2048, 'x');  // the server under test allows 1024
  const std::string out =
      raw_exchange(port_, "POST /big HTTP/1.1\r\nHost: t\r\nContent-Length: 2048\r\n\r\n" + body);
  EXPECT_EQ(status_of(out), 413u) << out;
  EXPECT_NE(body_of(out).find("exceeds 1024 bytes"), std::string::npos) << out;
  http::client_response res;
  ASSERT_FALSE(http::fetch({"127.0.0.1", port_}, {"GET", "/ok", {}, {}, {}}, res));
  EXPECT_EQ(res.status, 200u);
  int handled = 0;
  on_io([&] { handled = handled_; });
  EXPECT_EQ(handled, 1);
}

// Both ends resolve the name and take the first answer, so they agree on the address family.
class http_name_test : public io_thread_test {};

TEST_F(http_name_test, client_resolves_a_host_name) {
  http::server srv(ioc_, host_port{"localhost", 0}, {},
                   [](http::request&&, http::reply_fn reply) { reply(http::response(200, "{}")); });
  srv.start();
  start_io();
  http::client_connection client(ioc_, host_port{"localhost", srv.port()});
  for (int i = 0; i < 2; ++i) {  // the second request reuses the resolved connection
    auto r = send(client, {"GET", "/", {}, {}, {}});
    ASSERT_TRUE(r) << "request " << i << " timed out";
    ASSERT_FALSE(r->ec) << r->ec.message();
    EXPECT_EQ(r->response.status, 200u);
  }
  on_io([&] { client.close(); });
  stop_io();
}

TEST(http_headers, lower_case_is_ascii_only_and_lookup_is_exact) {
  EXPECT_EQ(http::to_lower("Content-TYPE"), "content-type");
  EXPECT_EQ(http::to_lower("X-\xc3\x84"), "x-\xc3\x84");  // bytes above 127 are left alone
  const http::header_list headers{{"content-type", "text/plain"}, {"x-a", "1"}, {"x-a", "2"}};
  EXPECT_EQ(http::find_header(headers, "content-type"), "text/plain");
  EXPECT_EQ(http::find_header(headers, "x-a"), "1");          // the first of repeated headers
  EXPECT_EQ(http::find_header(headers, "Content-Type"), "");  // callers pass lower-case names
  EXPECT_EQ(http::find_header(headers, "x"), "");
}

TEST(http_request, query_parameters) {
  http::request r;
  r.target = "/events?after=5&limit=3&flag";
  EXPECT_EQ(r.path(), "/events");
  EXPECT_EQ(r.query("after"), "5");
  EXPECT_EQ(r.query("limit"), "3");
  EXPECT_EQ(r.query("flag", "x"), "");  // present without a value
  EXPECT_EQ(r.query("missing", "dflt"), "dflt");
  EXPECT_EQ(r.query("lim", "dflt"), "dflt");  // no prefix matches
  r.target = "/plain";
  EXPECT_EQ(r.path(), "/plain");
  EXPECT_EQ(r.query("after", "0"), "0");
}

TEST(http_json_error, escapes_quotes_and_backslashes) {
  const auto r = http::json_error(404, "no \"route\" for a\\b");
  EXPECT_EQ(r.status, 404u);
  const auto j = nlohmann::json::parse(r.body);
  EXPECT_EQ(j["error"], "no \"route\" for a\\b");
}

// Reasons quote what a client sent: control bytes are escaped, bytes that are not UTF-8 (a
// stray continuation, an overlong form, a surrogate, a truncated sequence) become U+FFFD, and
// well-formed UTF-8 passes unchanged; the body always parses.
TEST(http_json_error, any_bytes_give_valid_json) {
  const std::pair<std::string, std::string> cases[] = {
      // 8 bytes: a, U+0001, b, LF, c, DEL, NUL, d (split literals end each hex escape).
      {std::string("a\x01"
                   "b\nc\x7f\0"
                   "d",
                   8),
       std::string("a\x01"
                   "b\nc\x7f\0"
                   "d",
                   8)},
      {"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"},
      {"\x80x", "\xef\xbf\xbdx"},
      {"\xc0\xaf", "\xef\xbf\xbd\xef\xbf\xbd"},
      {"\xed\xa0\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"},
      {"\xe2\x82", "\xef\xbf\xbd\xef\xbf\xbd"},
      {"\xf4\x90\x80\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"},
  };
  for (const auto& [in, out] : cases) {
    const auto j = nlohmann::json::parse(http::json_error(400, in).body, nullptr, false);
    ASSERT_FALSE(j.is_discarded()) << http::json_error(400, in).body;
    EXPECT_EQ(j["error"].get<std::string>(), out);
  }
}

// --- parked requests and streamed responses --------------------------------------------------

// A server on a handler that each test supplies. The handlers, the observer and the state they
// share (members below) live on the io thread; the test reads that state through on_io.
class http_seam_test : public io_thread_test {
 protected:
  void start_server(http::handler_fn handler, http::server_options options = {}) {
    server_.emplace(ioc_, host_port{"127.0.0.1", 0}, options, std::move(handler),
                    [this](const http::exchange& x) { exchanges_.push_back(x); });
    server_->start();
    port_ = server_->port();
    ASSERT_NE(port_, 0);
    start_io();
  }

  void TearDown() override {
    stop_io();
    server_.reset();
  }

  // Polls `pred` on the io thread until it holds; false after kWait.
  template <class Pred>
  bool eventually(Pred pred) {
    const auto deadline = std::chrono::steady_clock::now() + kWait;
    for (;;) {
      bool ok = false;
      on_io([&] { ok = pred(); });
      if (ok) return true;
      if (std::chrono::steady_clock::now() > deadline) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }

  bool sessions_drop_to_zero() {
    return eventually([&] { return server_->sessions() == 0; });
  }

  // Answers with `body` after `delay`, from a timer on the io thread.
  void reply_later(http::responder reply, std::chrono::milliseconds delay, std::string body) {
    auto timer = std::make_shared<net::steady_timer>(ioc_, delay);
    timer->async_wait([timer, reply, body = std::move(body)](boost::system::error_code) {
      reply(http::response(200, body));
    });
  }

  // Streams `parts` one every `gap`, then ends the body.
  void stream_parts(std::shared_ptr<http::stream_reply> body, std::vector<std::string> parts,
                    std::chrono::milliseconds gap) {
    auto timer = std::make_shared<net::steady_timer>(ioc_, gap);
    timer->async_wait(
        [this, timer, body, parts = std::move(parts), gap](boost::system::error_code) mutable {
          if (parts.empty()) return body->end();
          EXPECT_TRUE(body->write(parts.front()));
          parts.erase(parts.begin());
          stream_parts(body, std::move(parts), gap);
        });
  }

  static http::response event_stream_head() {
    http::response head(200);
    head.content_type = "text/event-stream";
    head.headers.emplace_back("Cache-Control", "no-cache");
    return head;
  }

  // /stream sends kParts, one every `gap`; any other path gets its path back as JSON.
  http::handler_fn streaming_handler(std::chrono::milliseconds gap) {
    return [this, gap](http::request&& req, http::responder reply) {
      if (req.path() != "/stream") {
        return reply(http::response(200, "{\"path\":\"" + req.path() + "\"}"));
      }
      auto body = reply.stream(event_stream_head());
      streams_.push_back(body);
      stream_parts(body, std::vector<std::string>(std::begin(kParts), std::end(kParts)), gap);
    };
  }

  static constexpr const char* kParts[] = {"data: one\n\n", "data: two, a longer one\n\n",
                                           "data: 3\n\n"};
  static std::string all_parts() { return std::string(kParts[0]) + kParts[1] + kParts[2]; }

  // What a client_connection's async_stream saw; io thread only.
  struct stream_seen {
    unsigned status = 0;
    std::string content_type;
    std::string body;
    bool first_piece_before_the_end = false;
    std::optional<boost::system::error_code> end;
  };

  std::shared_ptr<stream_seen> read_stream(http::client_connection& client, std::string target) {
    auto seen = std::make_shared<stream_seen>();
    http::stream_callbacks cb;
    cb.on_head = [seen](unsigned status, const http::header_list& headers) {
      seen->status = status;
      seen->content_type = http::find_header(headers, "content-type");
    };
    cb.on_data = [this, seen](std::string_view data) {
      if (seen->body.empty()) seen->first_piece_before_the_end = streams_.back()->open();
      seen->body += data;
    };
    cb.on_end = [seen](boost::system::error_code ec) { seen->end = ec; };
    on_io([&] { client.async_stream({"GET", std::move(target), {}, {}, {}}, std::move(cb)); });
    return seen;
  }

  std::optional<http::server> server_;
  std::uint16_t port_ = 0;
  std::vector<http::exchange> exchanges_;
  std::vector<http::responder> parked_;
  int peer_closed_ = 0;
  std::vector<std::shared_ptr<http::stream_reply>> streams_;
  int stream_closed_ = 0;
};

// The body of a chunked response decoded, or a description of what is wrong with its framing.
std::string dechunk(std::string_view body) {
  std::string out;
  for (;;) {
    const auto eol = body.find("\r\n");
    if (eol == std::string_view::npos) return "<no chunk size line>";
    std::size_t size = 0;
    const auto hex = body.substr(0, eol);
    if (hex.empty() || hex.find_first_not_of("0123456789abcdefABCDEF") != std::string_view::npos) {
      return "<bad chunk size '" + std::string(hex) + "'>";
    }
    size = std::stoul(std::string(hex), nullptr, 16);
    body.remove_prefix(eol + 2);
    if (size == 0) return body == "\r\n" ? out : "<bytes after the last chunk>";
    if (body.size() < size + 2 || body.substr(size, 2) != "\r\n") return "<truncated chunk>";
    out.append(body.substr(0, size));
    body.remove_prefix(size + 2);
  }
}

TEST_F(http_seam_test, parked_request_notices_the_peer_leaving) {
  start_server([this](http::request&& req, http::responder reply) {
    if (req.path() != "/wait") return reply(http::response(200, "{}"));
    reply.on_peer_closed([this] { ++peer_closed_; });
    parked_.push_back(reply);
  });
  {
    raw_socket peer(port_);
    peer.send_all("GET /wait HTTP/1.1\r\nHost: t\r\n\r\n");
    ASSERT_TRUE(eventually([&] { return parked_.size() == 1; }));
    EXPECT_TRUE(eventually([&] { return server_->sessions() == 1; }));
  }
  ASSERT_TRUE(eventually([&] { return peer_closed_ == 1; }));
  EXPECT_TRUE(sessions_drop_to_zero());
  on_io([&] {
    parked_[0](http::response(200, "{}"));  // too late: nothing to write to, nothing happens
    parked_[0].on_peer_closed([this] { ++peer_closed_; });  // already gone: runs at once
    EXPECT_EQ(peer_closed_, 2);
    ASSERT_EQ(exchanges_.size(), 1u);
    EXPECT_EQ(exchanges_[0].status, 0u);  // counted once, as answered by nobody
    EXPECT_EQ(exchanges_[0].bytes_out, 0u);
    EXPECT_GT(exchanges_[0].bytes_in, 0u);
  });
  http::client_response res;
  ASSERT_FALSE(http::fetch({"127.0.0.1", port_}, {"GET", "/ok", {}, {}, {}}, res));
  EXPECT_EQ(res.status, 200u);
}

TEST_F(http_seam_test, parked_request_answered_later_arrives_intact) {
  start_server([this](http::request&& req, http::responder reply) {
    reply_later(reply, std::chrono::milliseconds(50), "{\"late\":\"" + req.path() + "\"}");
  });
  http::client_connection client(ioc_, {"127.0.0.1", port_});
  for (int i = 0; i < 2; ++i) {  // and the connection serves the next one
    auto r = send(client, {"GET", "/poll" + std::to_string(i), {}, {}, {}});
    ASSERT_TRUE(r) << "request " << i << " timed out";
    ASSERT_FALSE(r->ec) << r->ec.message();
    EXPECT_EQ(r->response.status, 200u);
    EXPECT_EQ(r->response.body, "{\"late\":\"/poll" + std::to_string(i) + "\"}");
  }
  on_io([&] {
    EXPECT_EQ(client.connections_opened(), 1u);
    client.close();
  });
  EXPECT_TRUE(sessions_drop_to_zero());
}

TEST_F(http_seam_test, request_pipelined_behind_a_parked_one_is_answered_after_it) {
  start_server([this](http::request&& req, http::responder reply) {
    if (req.path() == "/wait") return parked_.push_back(reply);
    reply(http::response(200, "{\"path\":\"" + req.path() + "\"}"));
  });
  raw_socket peer(port_);
  peer.send_all("GET /wait HTTP/1.1\r\nHost: t\r\n\r\n");
  ASSERT_TRUE(eventually([&] { return parked_.size() == 1; }));
  // Sent while the first is parked: the session's watch read takes these bytes and must keep
  // them for the parser.
  peer.send_all("GET /next HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  on_io([&] {
    EXPECT_EQ(exchanges_.size(), 0u);  // /next waits for /wait's answer
    parked_[0](http::response(200, "{\"path\":\"/wait\"}"));
  });
  const std::string out = peer.read_to_close();
  const auto first = out.find("\"path\":\"/wait\"");
  const auto second = out.find("\"path\":\"/next\"");
  ASSERT_NE(first, std::string::npos) << out;
  ASSERT_NE(second, std::string::npos) << out;
  EXPECT_LT(first, second);
  EXPECT_TRUE(sessions_drop_to_zero());
}

TEST_F(http_seam_test, streamed_response_is_valid_chunked_http) {
  start_server(streaming_handler(std::chrono::milliseconds(10)));
  const std::string out =
      raw_exchange(port_, "GET /stream HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
  ASSERT_EQ(status_of(out), 200u) << out;
  const std::string head = out.substr(0, out.find("\r\n\r\n"));
  EXPECT_NE(head.find("\r\nTransfer-Encoding: chunked"), std::string::npos) << head;
  EXPECT_NE(head.find("\r\nContent-Type: text/event-stream"), std::string::npos) << head;
  EXPECT_NE(head.find("\r\nCache-Control: no-cache"), std::string::npos) << head;
  EXPECT_EQ(head.find("Content-Length"), std::string::npos) << head;
  EXPECT_EQ(dechunk(body_of(out)), all_parts());
  ASSERT_TRUE(eventually([&] { return exchanges_.size() == 1; }));
  on_io([&] {
    EXPECT_EQ(exchanges_[0].status, 200u);
    EXPECT_EQ(exchanges_[0].bytes_out, out.size());  // observed once, with every wire byte
  });
  EXPECT_TRUE(sessions_drop_to_zero());
}

TEST_F(http_seam_test, streamed_response_to_http_1_0_ends_with_the_connection) {
  start_server(streaming_handler(std::chrono::milliseconds(10)));
  const std::string out = raw_exchange(port_, "GET /stream HTTP/1.0\r\n\r\n");
  ASSERT_EQ(status_of(out), 200u) << out;
  EXPECT_EQ(out.find("Transfer-Encoding"), std::string::npos) << out;
  EXPECT_EQ(body_of(out), all_parts());
}

TEST_F(http_seam_test, client_reads_a_stream_as_it_arrives_then_reuses_the_connection) {
  start_server(streaming_handler(std::chrono::milliseconds(20)));
  http::client_connection client(ioc_, {"127.0.0.1", port_});
  auto seen = read_stream(client, "/stream");
  ASSERT_TRUE(eventually([&] { return seen->end.has_value(); }));
  on_io([&] {
    EXPECT_FALSE(*seen->end) << seen->end->message();
    EXPECT_EQ(seen->status, 200u);
    EXPECT_EQ(seen->content_type, "text/event-stream");
    EXPECT_EQ(seen->body, all_parts());
    EXPECT_TRUE(seen->first_piece_before_the_end);  // handed over as it came, not at the end
    ASSERT_EQ(exchanges_.size(), 1u);
    EXPECT_EQ(client.bytes_received(), exchanges_[0].bytes_out);
  });
  auto r = send(client, {"GET", "/after", {}, {}, {}});
  ASSERT_TRUE(r) << "timed out";
  ASSERT_FALSE(r->ec) << r->ec.message();
  EXPECT_EQ(r->response.body, "{\"path\":\"/after\"}");
  on_io([&] {
    EXPECT_EQ(client.connections_opened(), 1u);
    client.close();
  });
  EXPECT_TRUE(sessions_drop_to_zero());
}

TEST_F(http_seam_test, client_close_ends_its_stream) {
  start_server([this](http::request&&, http::responder reply) {
    auto body = reply.stream(event_stream_head());
    body->on_closed([this] { ++stream_closed_; });
    body->write("data: first\n\n");
    streams_.push_back(body);
  });
  http::client_connection client(ioc_, {"127.0.0.1", port_});
  auto seen = read_stream(client, "/forever");
  ASSERT_TRUE(eventually([&] { return !seen->body.empty(); }));
  on_io([&] { client.close(); });
  ASSERT_TRUE(eventually([&] { return seen->end.has_value(); }));
  on_io([&] { EXPECT_EQ(*seen->end, boost::asio::error::operation_aborted); });
  EXPECT_TRUE(eventually([&] { return stream_closed_ == 1; }));
  EXPECT_TRUE(sessions_drop_to_zero());
}

TEST_F(http_seam_test, client_stream_head_is_bounded_by_the_timeout) {
  start_server([this](http::request&&, http::responder reply) { parked_.push_back(reply); });
  http::client_options options;
  options.timeout = 200 * kNanosPerMilli;
  http::client_connection client(ioc_, {"127.0.0.1", port_}, options);
  auto seen = read_stream(client, "/never");
  ASSERT_TRUE(eventually([&] { return seen->end.has_value(); }));
  on_io([&] {
    EXPECT_EQ(http::describe(*seen->end), "timed out");
    EXPECT_EQ(seen->status, 0u);  // no head was handed over
  });
}

// A close-delimited body (no length, no chunks) from a bare socket server: the end of the
// connection is the end of the body.
TEST_F(http_seam_test, client_reads_a_close_delimited_stream) {
  start_io();
  const int listener = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(listener, 0);
  timeval tv{5, 0};  // bounds the accept below
  setsockopt(listener, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  ASSERT_EQ(bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(listen(listener, 1), 0);
  ASSERT_EQ(getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  std::thread peer([listener] {
    const int fd = accept(listener, nullptr, nullptr);
    if (fd < 0) return;
    char buf[4096];
    (void)!recv(fd, buf, sizeof buf, 0);  // the request; its content does not matter here
    const std::string out = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nsome body";
    (void)!::send(fd, out.data(), out.size(), MSG_NOSIGNAL);
    ::close(fd);
  });
  http::client_connection client(ioc_, {"127.0.0.1", ntohs(addr.sin_port)});
  auto seen = std::make_shared<stream_seen>();
  http::stream_callbacks cb;
  cb.on_data = [seen](std::string_view data) { seen->body += data; };
  cb.on_end = [seen](boost::system::error_code ec) { seen->end = ec; };
  on_io([&] { client.async_stream({"GET", "/", {}, {}, {}}, std::move(cb)); });
  const bool ended = eventually([&] { return seen->end.has_value(); });
  peer.join();
  ::close(listener);
  ASSERT_TRUE(ended);
  on_io([&] {
    EXPECT_FALSE(*seen->end) << seen->end->message();
    EXPECT_EQ(seen->body, "some body");
  });
}

TEST_F(http_seam_test, idle_stream_outlives_the_idle_timeout) {
  http::server_options options;
  options.idle_timeout = 100 * kNanosPerMilli;
  start_server(streaming_handler(std::chrono::milliseconds(250)), options);
  const std::string out =
      raw_exchange(port_, "GET /stream HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(dechunk(body_of(out)), all_parts());
}

TEST_F(http_seam_test, stream_to_a_reader_that_leaves_closes) {
  start_server([this](http::request&&, http::responder reply) {
    auto body = reply.stream(event_stream_head());
    body->on_closed([this] { ++stream_closed_; });
    body->write("data: first\n\n");
    streams_.push_back(body);
  });
  {
    raw_socket reader(port_);
    reader.send_all("GET /forever HTTP/1.1\r\nHost: t\r\n\r\n");
    EXPECT_NE(reader.read_until("data: first").find("data: first"), std::string::npos);
  }
  ASSERT_TRUE(eventually([&] { return stream_closed_ == 1; }));
  on_io([&] {
    auto& body = *streams_[0];
    EXPECT_FALSE(body.open());
    EXPECT_FALSE(body.write("data: late\n\n"));
    EXPECT_EQ(body.queued_bytes(), 0u);
    EXPECT_GT(body.bytes_written(), 0u);
    body.end();  // harmless
    ASSERT_EQ(exchanges_.size(), 1u);
    EXPECT_EQ(exchanges_[0].bytes_out, body.bytes_written());
    EXPECT_EQ(stream_closed_, 1);
  });
  EXPECT_TRUE(sessions_drop_to_zero());
}

// --- WebSockets -------------------------------------------------------------------------------

// /ws upgrades; on open the server sends `greeting` and, if `server_closes`, closes at once.
class http_websocket_test : public http_seam_test {
 protected:
  void start_ws_server(std::vector<std::string> greeting, bool server_closes = false) {
    start_server([this, greeting, server_closes](http::request&& req, http::responder reply) {
      upgrade_seen_ = req.websocket_upgrade;
      subscriber_header_ = req.header("x-subscriber");
      http::ws_handlers h;
      h.on_open = [this, greeting, server_closes](std::shared_ptr<http::ws_connection> c) {
        server_ws_ = c;
        for (const auto& m : greeting) EXPECT_TRUE(c->send(m));
        if (server_closes) c->close();
      };
      h.on_message = [this](std::string m) { server_got_.push_back(std::move(m)); };
      h.on_close = [this] { ++server_closed_; };
      reply.upgrade_websocket(std::move(h));
    });
  }

  // Connects from the io thread; the client says `hello` once open.
  void connect(std::uint16_t port, std::string hello) {
    http::ws_handlers h;
    h.on_open = [this, hello](std::shared_ptr<http::ws_connection> c) {
      client_ws_ = c;
      if (!hello.empty()) {
        EXPECT_TRUE(c->send(hello));
      }
    };
    h.on_message = [this](std::string m) { client_got_.push_back(std::move(m)); };
    h.on_close = [this] { ++client_closed_; };
    on_io([&] {
      http::ws_connect(ioc_, {"127.0.0.1", port}, "/ws", {{"X-Subscriber", "7"}}, std::move(h),
                       5 * kNanosPerSecond);
    });
  }

  void TearDown() override {
    http_seam_test::TearDown();
    client_ws_.reset();
    server_ws_.reset();
  }

  bool upgrade_seen_ = false;
  std::string subscriber_header_;
  std::shared_ptr<http::ws_connection> server_ws_, client_ws_;
  std::vector<std::string> server_got_, client_got_;
  int server_closed_ = 0, client_closed_ = 0;
};

TEST_F(http_websocket_test, messages_flow_both_ways_and_a_close_reaches_the_other_side) {
  start_ws_server({"m1", "m2, a little longer", "m3"});
  connect(port_, "hello");
  ASSERT_TRUE(eventually([&] { return client_got_.size() == 3 && server_got_.size() == 1; }));
  on_io([&] {
    EXPECT_EQ(client_got_, (std::vector<std::string>{"m1", "m2, a little longer", "m3"}));
    EXPECT_EQ(server_got_, std::vector<std::string>{"hello"});
    EXPECT_TRUE(upgrade_seen_);
    EXPECT_EQ(subscriber_header_, "7");
    EXPECT_EQ(server_->sessions(), 1u);
    EXPECT_EQ(exchanges_.size(), 0u);  // observed when it is over
    client_ws_->close();
    EXPECT_FALSE(client_ws_->open());
    EXPECT_FALSE(client_ws_->send("too late"));
  });
  ASSERT_TRUE(eventually([&] { return server_closed_ == 1 && client_closed_ == 1; }));
  EXPECT_TRUE(sessions_drop_to_zero());
  on_io([&] {
    EXPECT_FALSE(server_ws_->open());
    ASSERT_EQ(exchanges_.size(), 1u);
    const auto& x = exchanges_[0];
    EXPECT_EQ(x.status, 101u);
    EXPECT_EQ(x.path, "/ws");
    EXPECT_EQ(x.bytes_out, server_ws_->bytes_sent());
    EXPECT_EQ(x.bytes_in, server_ws_->bytes_received());
    // Both ends estimate the same bytes; the client also counts its close frame (8 bytes).
    EXPECT_EQ(client_ws_->bytes_received(), server_ws_->bytes_sent());
    EXPECT_EQ(client_ws_->bytes_sent(), server_ws_->bytes_received() + 8);
  });
}

TEST_F(http_websocket_test, server_close_reaches_the_client_after_the_queued_messages) {
  start_ws_server({"last words"}, true);
  connect(port_, "");
  ASSERT_TRUE(eventually([&] { return client_closed_ == 1 && server_closed_ == 1; }));
  on_io([&] { EXPECT_EQ(client_got_, std::vector<std::string>{"last words"}); });
  EXPECT_TRUE(sessions_drop_to_zero());
}

TEST_F(http_websocket_test, plain_request_to_a_websocket_resource_gets_426) {
  start_ws_server({"m1"});
  http::client_response res;
  ASSERT_FALSE(http::fetch({"127.0.0.1", port_}, {"GET", "/ws", {}, {}, {}}, res));
  EXPECT_EQ(res.status, 426u);
  EXPECT_EQ(res.header("upgrade"), "websocket");
  EXPECT_NE(error_text(res).find("WebSocket"), std::string::npos) << res.body;
  connect(port_, "still serving");
  EXPECT_TRUE(eventually([&] { return server_got_.size() == 1; }));
}

TEST_F(http_websocket_test, failed_connect_closes_without_opening) {
  start_io();
  connect(1, "");  // port 1 on loopback: refused
  ASSERT_TRUE(eventually([&] { return client_closed_ == 1; }));
  on_io([&] { EXPECT_EQ(client_ws_, nullptr); });
}

// --- the producer's routes, in-process ------------------------------------------------------

class producer_http_test : public io_thread_test {
 protected:
  void SetUp() override {
    producer_config cfg;
    cfg.listen = {"127.0.0.1", 0};
    cfg.access.tokens = {"unit-api-token"};
    cfg.access.control_token = "unit-control-token";
    producer_.emplace(ioc_, cfg);
    producer_->start();
    port_ = producer_->port();
    ASSERT_NE(port_, 0);
    start_io();
  }

  void TearDown() override {
    stop_io();
    producer_.reset();
  }

  http::client_response get(const std::string& method, const std::string& target,
                            std::string body = {}) {
    http::client_response res;
    http::header_list auth;
    http::add_bearer(auth,
                     target.starts_with("/control/") ? "unit-control-token" : "unit-api-token");
    auto ec = http::fetch({"127.0.0.1", port_},
                          {method, target, std::move(body), "application/json", auth}, res);
    EXPECT_FALSE(ec) << method << " " << target << ": " << ec.message();
    return res;
  }

  void expect_alive() {
    auto res = get("GET", "/control/ping");
    EXPECT_EQ(res.status, 200u);
    EXPECT_TRUE(nlohmann::json::parse(res.body, nullptr, false).contains("now_ns"));
  }

  std::optional<producer> producer_;
  std::uint16_t port_ = 0;
};

TEST_F(producer_http_test, unknown_path_is_404_with_a_reason) {
  auto res = get("GET", "/nope");
  EXPECT_EQ(res.status, 404u);
  EXPECT_EQ(error_text(res), "no route for GET /nope");
  expect_alive();
}

TEST_F(producer_http_test, wrong_method_is_405_with_allow) {
  auto res = get("DELETE", "/events");
  EXPECT_EQ(res.status, 405u);
  EXPECT_EQ(res.header("allow"), "GET");
  EXPECT_FALSE(error_text(res).empty());
  expect_alive();
}

TEST_F(producer_http_test, empty_log_poll_and_bad_cursors) {
  auto empty = get("GET", "/events?after=0");
  EXPECT_EQ(empty.status, 200u);
  EXPECT_EQ(empty.body, "{\"events\":[],\"next\":0}");
  for (const char* target : {"/events?after=abc", "/events?after=-1", "/events?limit=0",
                             "/events?limit=10001", "/events?after=5"}) {
    auto res = get("GET", target);
    EXPECT_EQ(res.status, 400u) << target;
    EXPECT_FALSE(error_text(res).empty()) << target;
  }
  expect_alive();
}

TEST_F(producer_http_test, bad_subscriptions_are_400) {
  for (const char* body : {"not json", "[]", "{}", "{\"url\":5}", "{\"url\":\"ftp://x:1/\"}"}) {
    auto res = get("POST", "/subscriptions", body);
    EXPECT_EQ(res.status, 400u) << body;
    EXPECT_FALSE(error_text(res).empty()) << body;
  }
  auto ok = get("POST", "/subscriptions", "{\"url\":\"http://127.0.0.1:9/hook/0\"}");
  EXPECT_EQ(ok.status, 201u);
  EXPECT_EQ(nlohmann::json::parse(ok.body)["url"], "http://127.0.0.1:9/hook/0");
  expect_alive();
}

TEST_F(producer_http_test, oversized_body_is_413_and_malformed_is_400) {
  const std::string big(70 * 1024, 'x');  // producer limit: 64 KiB
  std::string out =
      raw_exchange(port_, "POST /subscriptions HTTP/1.1\r\nHost: t\r\nContent-Length: " +
                              std::to_string(big.size()) + "\r\n\r\n" + big);
  EXPECT_EQ(status_of(out), 413u) << out.substr(0, 200);
  expect_alive();
  out = raw_exchange(port_, "GET /events HTTP/1.1\r\nContent-Length: x\r\n\r\n");
  EXPECT_EQ(status_of(out), 400u) << out;
  expect_alive();
  // Rejections are counted in the producer's report.
  nlohmann::json report;
  on_io([&] { report = producer_->report(); });
  EXPECT_EQ(report["rejected"].value("413", 0), 1);
  EXPECT_EQ(report["rejected"].value("400", 0), 1);
}

}  // namespace
}  // namespace hookbench
