// Hostile input over raw sockets to a real `hookbench serve` and to a consumer's webhook
// receiver: malformed request lines and headers, huge heads and bodies, slow clients, a flood of
// idle connections, bad JSON, bad UTF-8, wrong content types and bad cursors. Every case gets a
// 4xx with a reason in valid JSON (or, for slow and surplus connections, its connection closed
// and counted), nothing is registered or delivered, and the server answers a normal request
// afterwards.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <thread>

#include "hookbench_process.hpp"

namespace hookbench_test {
namespace {

std::string request(const std::string& method, const std::string& target,
                    const std::string& body = {}, const std::string& type = "application/json") {
  // With the test's token, so that what is checked is what comes after authentication.
  std::string raw = method + " " + target + " HTTP/1.1\r\nHost: test\r\nConnection: close\r\n" +
                    auth_line(target);
  if (!body.empty() || method == "POST") {
    raw += "Content-Type: " + type + "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
  }
  return raw + "\r\n" + body;
}

// The "error" of a JSON error body; empty when the body is not valid JSON (invalid UTF-8
// included) or has no reason.
std::string reason_of(const http_reply& r) {
  auto j = nlohmann::json::parse(r.body, nullptr, false);
  return j.is_object() && j.contains("error") && j["error"].is_string()
             ? j["error"].get<std::string>()
             : "";
}

// A TCP connection to 127.0.0.1:port that the test drives byte by byte; every receive is
// bounded by the socket timeout given.
class raw_connection {
 public:
  raw_connection(std::uint16_t port, int recv_timeout_s) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    timeval tv{recv_timeout_s, 0};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
    connected_ = connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  }
  ~raw_connection() {
    if (fd_ >= 0) close(fd_);
  }
  raw_connection(const raw_connection&) = delete;
  raw_connection& operator=(const raw_connection&) = delete;

  bool connected() const { return connected_; }
  bool send_all(std::string_view bytes) {
    return send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL) ==
           static_cast<ssize_t>(bytes.size());
  }
  // True when the peer has closed (EOF or reset) within the receive timeout; what it sent
  // before is kept in received().
  bool closed_by_peer() {
    char buf[4096];
    for (;;) {
      const ssize_t n = recv(fd_, buf, sizeof buf, 0);
      if (n > 0) {
        received_.append(buf, static_cast<std::size_t>(n));
        continue;
      }
      return n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK);
    }
  }
  const std::string& received() const { return received_; }

 private:
  int fd_ = -1;
  bool connected_ = false;
  std::string received_;
};

// A `hookbench serve` on an ephemeral loopback port, not generating until told.
class hostile_serve : public ::testing::Test {
 protected:
  void start(std::vector<std::string> extra = {}) {
    std::vector<std::string> args{"serve", "--listen",   "127.0.0.1:0", "--rate",
                                  "200",   "--arrivals", "constant",    "--warmup",
                                  "0s",    "--duration", "60s",         "--quiet"};
    args.insert(args.end(), extra.begin(), extra.end());
    serve_.emplace(args);
    const auto ready = json_line(*serve_, "ready", milliseconds(10'000));
    ASSERT_TRUE(ready) << "no ready line; stderr: " << serve_->err();
    port_ = ready->value("port", std::uint16_t{0});
    ASSERT_NE(port_, 0);
  }

  http_reply send_raw(const std::string& raw) { return raw_exchange("127.0.0.1", port_, raw); }

  // A normal poll still answers: 200 with an events array.
  void expect_serving(const std::string& after) {
    const auto r = send_raw(request("GET", "/events?after=0&limit=10"));
    EXPECT_EQ(r.status, 200u) << "poll after " << after << ": " << r.raw.substr(0, 300);
    const auto j = nlohmann::json::parse(r.body, nullptr, false);
    EXPECT_TRUE(j.is_object() && j.contains("events")) << after << ": " << r.body;
  }

  // `raw` gets `status` with a reason in a valid JSON body, and no events; then a normal poll
  // is answered.
  void expect_rejected(const std::string& what, const std::string& raw, unsigned status) {
    const auto r = send_raw(raw);
    EXPECT_EQ(r.status, status) << what << ": " << r.raw.substr(0, 300);
    EXPECT_FALSE(reason_of(r).empty()) << what << ": no reason in valid JSON: " << r.body;
    EXPECT_EQ(r.body.find("\"events\""), std::string::npos) << what << ": " << r.body;
    expect_serving(what);
  }

  nlohmann::json report() {
    const auto r = send_raw(request("GET", "/control/report"));
    EXPECT_EQ(r.status, 200u) << r.raw.substr(0, 300);
    return nlohmann::json::parse(r.body, nullptr, false);
  }

  std::optional<process> serve_;
  std::uint16_t port_ = 0;
};

TEST_F(hostile_serve, malformed_request_lines_and_headers_get_400) {
  ASSERT_NO_FATAL_FAILURE(start());
  const std::pair<const char*, std::string> cases[] = {
      {"no target or version", "GET\r\n\r\n"},
      {"unknown HTTP version", "GET /events HTTP/9.9\r\nHost: x\r\n\r\n"},
      {"text after the version", "GET /events HTTP/1.1 extra\r\nHost: x\r\n\r\n"},
      {"space in the target", "GET /ev ents HTTP/1.1\r\nHost: x\r\n\r\n"},
      {"binary request line", std::string("\x00\x01\x02\xff /\r\n\r\n", 9)},
      {"bare LF line ends", "GET /events HTTP/1.1\nHost: x\n\n"},
      {"header without a colon", "GET /events HTTP/1.1\r\nHost x\r\n\r\n"},
      {"space before the colon", "GET /events HTTP/1.1\r\nHost : x\r\n\r\n"},
      {"control byte in a value", "GET /events HTTP/1.1\r\nX-A: a\x01z\r\n\r\n"},
      {"negative Content-Length", "POST /subscriptions HTTP/1.1\r\nContent-Length: -1\r\n\r\n"},
      {"Content-Length past 2^64",
       "POST /subscriptions HTTP/1.1\r\nContent-Length: 18446744073709551616\r\n\r\n"},
      {"two different Content-Lengths",
       "POST /subscriptions HTTP/1.1\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}"},
      {"bad chunk size",
       "POST /subscriptions HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n"},
  };
  for (const auto& [what, raw] : cases) expect_rejected(what, raw, 400);
  EXPECT_EQ(report().at("rejected").value("400", 0), static_cast<int>(std::size(cases)));
}

TEST_F(hostile_serve, huge_heads_get_431_and_huge_bodies_413) {
  ASSERT_NO_FATAL_FAILURE(start());
  const std::string big(20 * 1024, 'a');  // over the 16 KiB head limit
  expect_rejected("a 20 KiB target", "GET /events?x=" + big + " HTTP/1.1\r\nHost: x\r\n\r\n", 431);
  expect_rejected("a 20 KiB header", "GET /events HTTP/1.1\r\nX-Big: " + big + "\r\n\r\n", 431);
  std::string many = "GET /events HTTP/1.1\r\n";
  for (int i = 0; i < 2000; ++i) many += "X-H" + std::to_string(i) + ": v\r\n";
  expect_rejected("2000 small headers", many + "\r\n", 431);
  expect_rejected("a 70 KiB body", request("POST", "/subscriptions", std::string(70 * 1024, ' ')),
                  413);
  // Refused from the head alone: the gigabyte is never sent.
  expect_rejected("a 1 GB Content-Length",
                  "POST /subscriptions HTTP/1.1\r\nContent-Length: 1000000000\r\n\r\n", 413);
  std::string chunked = "POST /subscriptions HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (int i = 0; i < 70; ++i) chunked += "400\r\n" + std::string(1024, ' ') + "\r\n";
  expect_rejected("a 70 KiB chunked body", chunked + "0\r\n\r\n", 413);
  const auto rejected = report().at("rejected");
  EXPECT_EQ(rejected.value("431", 0), 3) << rejected.dump();
  EXPECT_EQ(rejected.value("413", 0), 3) << rejected.dump();
}

TEST_F(hostile_serve, bad_subscriptions_get_4xx_and_register_nothing) {
  ASSERT_NO_FATAL_FAILURE(start());
  const std::string url = R"({"url":"http://127.0.0.1:9/hook/0"})";
  const std::pair<const char*, std::string> bad_json[] = {
      {"truncated JSON", request("POST", "/subscriptions", R"({"url":)")},
      {"a JSON array", request("POST", "/subscriptions", "[1,2]")},
      {"a number url", request("POST", "/subscriptions", R"({"url":5})")},
      {"invalid UTF-8 in the url",
       request("POST", "/subscriptions", "{\"url\":\"http://\xff\xfe/\"}")},
      {"a lone surrogate escape", request("POST", "/subscriptions", R"({"url":"\ud800"})")},
      {"NUL in the body", request("POST", "/subscriptions", std::string("{\"url\"\0:1}", 10))},
      {"not an http URL", request("POST", "/subscriptions", R"({"url":"ftp://127.0.0.1/x"})")},
      {"a port past 65535",
       request("POST", "/subscriptions", R"({"url":"http://127.0.0.1:70000/x"})")},
      {"a negative batch_max",
       request("POST", "/subscriptions",
               R"({"url":"http://127.0.0.1:9/","batch_window_ms":5,"batch_max":-1})")},
      {"a huge batch_max",
       request("POST", "/subscriptions",
               R"({"url":"http://127.0.0.1:9/","batch_max":18446744073709551616})")},
  };
  for (const auto& [what, raw] : bad_json) expect_rejected(what, raw, 400);
  expect_rejected("text/plain", request("POST", "/subscriptions", url, "text/plain"), 415);
  expect_rejected("a form",
                  request("POST", "/subscriptions", "url=http://127.0.0.1:9/",
                          "application/x-www-form-urlencoded"),
                  415);
  expect_rejected("multipart", request("POST", "/subscriptions", url, "multipart/form-data"), 415);
  const auto j = report();
  EXPECT_EQ(j.at("rejected").value("400", 0), static_cast<int>(std::size(bad_json)));
  EXPECT_EQ(j.at("rejected").value("415", 0), 3);
  EXPECT_EQ(j.at("webhooks").value("subscribers", -1), 0) << j.at("webhooks").dump();
  // The control case: JSON with a charset parameter is accepted.
  EXPECT_EQ(
      send_raw(request("POST", "/subscriptions", url, "Application/JSON; charset=utf-8")).status,
      201u);
  EXPECT_EQ(report().at("webhooks").value("subscribers", -1), 1);
}

TEST_F(hostile_serve, bad_cursors_limits_and_waits_get_400) {
  ASSERT_NO_FATAL_FAILURE(start());
  ASSERT_EQ(send_raw(request("POST", "/control/start")).status, 200u);
  const char* bad_numbers[] = {"-1",
                               "18446744073709551616",
                               "99999999999999999999999",
                               "abc",
                               "",
                               "1e3",
                               "0x10",
                               "+5",
                               "%31",
                               "1.5",
                               "5%00"};
  int sent = 0;
  for (const char* v : bad_numbers) {
    for (const char* name : {"after", "limit", "wait"}) {
      expect_rejected(std::string(name) + "=" + v,
                      request("GET", std::string("/events?") + name + "=" + v), 400);
      ++sent;
    }
  }
  // Streams take a cursor too, in the query or in Last-Event-ID, which may be any bytes.
  expect_rejected("stream after=abc", request("GET", "/stream?after=abc"), 400);
  expect_rejected("stream after past 2^64", request("GET", "/stream?after=18446744073709551616"),
                  400);
  expect_rejected("Last-Event-ID of invalid UTF-8",
                  "GET /stream HTTP/1.1\r\nHost: x\r\nLast-Event-ID: \xff\xfe\x80\r\n" +
                      auth_line("/stream") + "\r\n",
                  400);
  expect_rejected("websocket after=-1", request("GET", "/ws?after=-1"), 400);
  EXPECT_EQ(report().at("rejected").value("400", 0), sent + 4);
}

TEST_F(hostile_serve, slow_clients_are_cut_at_the_request_deadline) {
  // The idle connection below waits longer than a new connection may by default.
  ASSERT_NO_FATAL_FAILURE(start({"--request-timeout", "2s", "--first-request-timeout", "30s"}));
  // Three clients that start a request and send one byte a second: none may hold on for the
  // idle timeout (120 s); each is closed once 2 s have passed since its first byte.
  const std::string slow = "GET /events?after=0 HTTP/1.1\r\nHost: slow\r\nX-Pad: ";
  std::vector<std::unique_ptr<raw_connection>> clients;
  for (int i = 0; i < 3; ++i) {
    clients.push_back(std::make_unique<raw_connection>(port_, 0));
    ASSERT_TRUE(clients.back()->connected());
  }
  // An idle connection is held to the idle timeout, not the request deadline.
  raw_connection idle(port_, 15);
  ASSERT_TRUE(idle.connected());
  const auto started = steady::now();
  std::vector<bool> cut(clients.size(), false);
  std::size_t sent = 0;
  while (steady::now() - started < std::chrono::seconds(20)) {
    bool all_cut = true;
    for (std::size_t i = 0; i < clients.size(); ++i) {
      if (!cut[i] && !clients[i]->send_all(std::string(1, slow[sent % slow.size()]))) {
        cut[i] = true;
      }
      all_cut = all_cut && cut[i];
    }
    if (all_cut) break;
    ++sent;
    if (sent == 2) expect_serving("slow clients holding connections");
    std::this_thread::sleep_for(milliseconds(1000));
  }
  const double held = std::chrono::duration<double>(steady::now() - started).count();
  for (std::size_t i = 0; i < clients.size(); ++i) {
    EXPECT_TRUE(cut[i]) << "slow client " << i << " still connected after " << held << " s";
    EXPECT_EQ(clients[i]->received(), "") << "a slow client got an answer";
  }
  EXPECT_GE(held, 2.0) << "cut before the request deadline";
  // The idle connection outlived the request deadline and is served normally.
  ASSERT_TRUE(idle.send_all(request("GET", "/control/ping")));
  EXPECT_TRUE(idle.closed_by_peer());
  EXPECT_EQ(idle.received().rfind("HTTP/1.1 200", 0), 0u) << idle.received();
  EXPECT_EQ(report().value("timed_out_requests", -1), 3);
  expect_serving("slow clients were cut");
}

TEST_F(hostile_serve, a_flood_of_idle_connections_past_the_cap_is_refused) {
  constexpr int kCap = 20;
  ASSERT_NO_FATAL_FAILURE(
      start({"--max-connections", std::to_string(kCap), "--first-request-timeout", "60s"}));
  std::vector<std::unique_ptr<raw_connection>> flood;
  for (int i = 0; i < kCap; ++i) {
    flood.push_back(std::make_unique<raw_connection>(port_, 2));
    ASSERT_TRUE(flood.back()->connected());
  }
  // Connections past the cap are closed at once, with no answer: we count them as we see them.
  int refused_seen = 0;
  for (int i = 0; i < 10; ++i) {
    raw_connection extra(port_, 5);
    ASSERT_TRUE(extra.connected());  // the kernel accepts; the server closes it
    EXPECT_TRUE(extra.closed_by_peer()) << "connection " << kCap + i << " past the cap was held";
    EXPECT_EQ(extra.received(), "");
    ++refused_seen;
  }
  // A normal client is refused too while the flood holds every slot...
  if (send_raw(request("GET", "/control/ping")).status == 0) ++refused_seen;
  EXPECT_EQ(refused_seen, 11);
  // ... and served once the flood goes (bounded retry: the server notices the closes at once,
  // but the test cannot see when).
  flood.clear();
  http_reply ping;
  const auto deadline = steady::now() + milliseconds(10'000);
  while (steady::now() < deadline) {
    ping = send_raw(request("GET", "/control/ping"));
    if (ping.status != 0) break;
    ++refused_seen;
    std::this_thread::sleep_for(milliseconds(20));
  }
  EXPECT_EQ(ping.status, 200u) << ping.raw;
  expect_serving("the flood went");
  EXPECT_EQ(report().value("refused_connections", -1), refused_seen);
}

// The webhook receiver: nothing a third party POSTs that is not a well-formed event of the
// producer's range is counted or delivered. Unsigned on both sides, so that these bodies reach
// the checks beneath the signature's (signed_webhook_test and attack_test cover signatures).
TEST(hostile_receiver, bad_posts_get_4xx_and_nothing_is_delivered) {
  process producer({"serve", "--listen", "127.0.0.1:0", "--rate", "50", "--arrivals", "constant",
                    "--warmup", "200ms", "--duration", "1s", "--tail", "1s", "--quiet",
                    "--signature", "none"});
  const auto ready = json_line(producer, "ready", milliseconds(10'000));
  ASSERT_TRUE(ready) << producer.err();
  const auto port = ready->at("port").get<std::uint16_t>();
  process consumer({"client", "--producer", "http://127.0.0.1:" + std::to_string(port), "--mode",
                    "webhook", "--drain", "2s", "--start-timeout", "30s", "--signature", "none"});
  const auto c_ready = json_line(consumer, "ready", milliseconds(10'000));
  ASSERT_TRUE(c_ready) << consumer.err();
  const auto receiver = c_ready->at("receiver_port").get<std::uint16_t>();
  auto post = [&](const std::string& path, const std::string& body,
                  const std::string& type = "application/json") {
    return raw_exchange("127.0.0.1", receiver, request("POST", path, body, type));
  };
  auto expect_4xx = [&](const char* what, const http_reply& r, unsigned status) {
    EXPECT_EQ(r.status, status) << what << ": " << r.raw.substr(0, 300);
    EXPECT_FALSE(reason_of(r).empty()) << what << ": no reason in valid JSON: " << r.body;
  };
  const std::pair<const char*, std::string> malformed[] = {
      {"not JSON", "not json"},
      {"truncated", R"({"id":1,"t":1,"payl)"},
      {"invalid UTF-8 payload", "{\"id\":1,\"t\":1,\"payload\":\"\xc3\x28\"}"},
      {"a string id", R"({"id":"1","t":1,"payload":"x"})"},
      {"a negative id", R"({"id":-1,"t":1,"payload":"x"})"},
      {"an id past 2^64", R"({"id":18446744073709551616,"t":1,"payload":"x"})"},
      {"an empty batch", R"({"events":[],"next":0})"},
      {"a batch of junk", R"({"events":[1,2,3],"next":3})"},
      {"empty", ""},
  };
  for (const auto& [what, body] : malformed) expect_4xx(what, post("/hook/0", body), 400);
  expect_4xx("id 0", post("/hook/0", R"({"id":0,"t":1,"payload":"x"})"), 422);
  expect_4xx("an id far past the range",
             post("/hook/0", R"({"id":4000000000,"t":1,"payload":"x"})"), 422);
  expect_4xx("an unknown subscriber", post("/hook/7", R"({"id":1,"t":1,"payload":"x"})"), 404);
  expect_4xx("a negative subscriber", post("/hook/-1", R"({"id":1,"t":1,"payload":"x"})"), 404);
  expect_4xx("a subscriber past 2^64",
             post("/hook/18446744073709551616", R"({"id":1,"t":1,"payload":"x"})"), 404);
  expect_4xx("malformed HTTP",
             raw_exchange("127.0.0.1", receiver, "POST /hook/0 HTTP/1.1\r\nHost x\r\n\r\n"), 400);
  // Refused from the head alone (the receiver takes 1 MiB): the 2 MiB are never sent.
  expect_4xx("a 2 MiB body",
             raw_exchange("127.0.0.1", receiver,
                          "POST /hook/0 HTTP/1.1\r\nHost: x\r\nContent-Length: 2097152\r\n\r\n"),
             413);

  // The run goes on: every real event is delivered, none of the above is.
  ASSERT_EQ(raw_http_status("127.0.0.1", port, "POST", "/control/start", ""), 200u);
  const auto report = json_line(consumer, "report", milliseconds(30'000));
  ASSERT_TRUE(report) << consumer.err();
  const auto& r = report->at("report");
  EXPECT_EQ(r.at("expected"), 50);
  EXPECT_EQ(r.at("delivered"), 50);
  EXPECT_EQ(r.at("lost"), 0);
  EXPECT_EQ(r.at("duplicates"), 0);
  const auto& traffic = r.at("traffic");
  EXPECT_EQ(traffic.at("malformed"), static_cast<int>(std::size(malformed)));
  EXPECT_EQ(traffic.at("out_of_range"), 2);
  EXPECT_EQ(
      traffic.at("rejected"),
      (nlohmann::json{{"400", std::size(malformed) + 1}, {"404", 3}, {"413", 1}, {"422", 2}}));
  raw_http_status("127.0.0.1", port, "POST", "/control/shutdown", "");
  EXPECT_TRUE(producer.wait(milliseconds(10'000)).exited);
  EXPECT_TRUE(consumer.wait(milliseconds(10'000)).exited);
}

}  // namespace
}  // namespace hookbench_test
