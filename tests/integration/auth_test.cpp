// Who may use a real `hookbench serve`: bearer tokens on every route, the control token on
// /control/, subscriptions seen and deleted only by the token that made them, the per-token cap
// and the webhook target allow-list. Nothing here starts generation, so no webhook is ever sent
// to the (non-loopback) targets some subscriptions name.
#include <gtest/gtest.h>

#include "hookbench_process.hpp"

namespace hookbench_test {
namespace {

constexpr const char* kOther = "hookbench-test-other-token";

struct reply {
  unsigned status = 0;
  nlohmann::json body;
  std::string headers;
};

// One request with `token` (none when empty).
reply send(std::uint16_t port, const std::string& method, const std::string& target,
           const std::string& token, const std::string& body = {}) {
  std::string raw = method + " " + target + " HTTP/1.1\r\nHost: t\r\nConnection: close\r\n";
  if (!token.empty()) raw += "Authorization: Bearer " + token + "\r\n";
  if (method == "POST") {
    raw +=
        "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
  }
  const auto r = raw_exchange("127.0.0.1", port, raw + "\r\n" + body);
  return {r.status, nlohmann::json::parse(r.body, nullptr, false), r.headers};
}

std::string error_of(const reply& r) {
  return r.body.is_object() ? r.body.value("error", "") : std::string();
}

class auth : public ::testing::Test {
 protected:
  void start(std::vector<std::string> extra = {}) {
    std::vector<std::string> args{"serve",   "--listen", "127.0.0.1:0", "--rate", "10",
                                  "--token", kApiToken,  "--token",     kOther,   "--quiet"};
    args.insert(args.end(), extra.begin(), extra.end());
    serve_ = std::make_unique<process>(args);
    const auto ready = json_line(*serve_, "ready", milliseconds(10'000));
    ASSERT_TRUE(ready) << serve_->err();
    port_ = ready->value("port", std::uint16_t{0});
    // Supplied tokens (flags, environment) are not echoed: the ready line names only what
    // serve generated.
    EXPECT_FALSE(ready->contains("token")) << ready->dump();
    EXPECT_FALSE(ready->contains("control_token")) << ready->dump();
  }
  std::string subscribe_body(const std::string& url) { return "{\"url\":\"" + url + "\"}"; }

  std::unique_ptr<process> serve_;
  std::uint16_t port_ = 0;
};

TEST_F(auth, every_data_route_needs_an_api_token) {
  start();
  for (const std::string target :
       {"/events?after=0", "/stream?after=0", "/ws?after=0", "/subscriptions", "/no/such/route"}) {
    SCOPED_TRACE(target);
    const auto none = send(port_, "GET", target, "");
    EXPECT_EQ(none.status, 401u);
    EXPECT_NE(none.headers.find("WWW-Authenticate: Bearer"), std::string::npos) << none.headers;
    EXPECT_NE(error_of(none).find("missing Authorization"), std::string::npos) << error_of(none);
    const auto wrong = send(port_, "GET", target, "not-the-right-token");
    EXPECT_EQ(wrong.status, 401u);
    EXPECT_EQ(error_of(wrong), "wrong bearer token");
    // The control token opens no data route.
    EXPECT_EQ(send(port_, "GET", target, kControlToken).status, 401u);
  }
  // Both API tokens are good; answers carry data only then.
  const auto ok = send(port_, "GET", "/events?after=0", kApiToken);
  EXPECT_EQ(ok.status, 200u);
  EXPECT_TRUE(ok.body.contains("events"));
  EXPECT_EQ(send(port_, "GET", "/events?after=0", kOther).status, 200u);
  EXPECT_EQ(send(port_, "GET", "/no/such/route", kApiToken).status, 404u);
  // A scheme other than Bearer is refused with its own reason.
  const auto basic = raw_exchange("127.0.0.1", port_,
                                  "GET /events HTTP/1.1\r\nHost: t\r\nConnection: close\r\n"
                                  "Authorization: Basic dXNlcjpwYXNz\r\n\r\n");
  EXPECT_EQ(basic.status, 401u);
  EXPECT_NE(basic.body.find("not a Bearer token"), std::string::npos) << basic.body;
}

TEST_F(auth, control_routes_need_the_control_token) {
  start();
  // Clock and window: a consumer reads them with its API token.
  EXPECT_EQ(send(port_, "GET", "/control/ping", kApiToken).status, 200u);
  EXPECT_EQ(send(port_, "GET", "/control/window", kOther).status, 200u);
  EXPECT_EQ(send(port_, "GET", "/control/ping", "").status, 401u);
  for (const auto& [method, target] : std::vector<std::pair<std::string, std::string>>{
           {"POST", "/control/start"}, {"GET", "/control/report"}, {"POST", "/control/shutdown"}}) {
    SCOPED_TRACE(target);
    const auto r = send(port_, method, target, kApiToken);
    EXPECT_EQ(r.status, 401u);
    EXPECT_EQ(error_of(r), target + " needs the control token");
  }
  EXPECT_EQ(send(port_, "GET", "/control/report", kControlToken).status, 200u);
  EXPECT_EQ(send(port_, "POST", "/control/shutdown", kControlToken).status, 200u);
  EXPECT_TRUE(serve_->wait(milliseconds(5'000)).exited);
}

TEST_F(auth, a_token_sees_and_deletes_only_its_own_subscriptions) {
  start();
  const auto a1 =
      send(port_, "POST", "/subscriptions", kApiToken, subscribe_body("http://127.0.0.1:9/hook/0"));
  const auto a2 =
      send(port_, "POST", "/subscriptions", kApiToken, subscribe_body("http://127.0.0.1:9/hook/1"));
  const auto b1 =
      send(port_, "POST", "/subscriptions", kOther, subscribe_body("http://[::1]:9/hook/b"));
  ASSERT_EQ(a1.status, 201u) << a1.body;
  ASSERT_EQ(a2.status, 201u) << a2.body;
  ASSERT_EQ(b1.status, 201u) << b1.body;
  const auto a_id = a1.body.at("id").get<std::size_t>();

  auto ids_of = [&](const std::string& token) {
    std::vector<std::size_t> ids;
    const auto r = send(port_, "GET", "/subscriptions", token);
    EXPECT_EQ(r.status, 200u);
    for (const auto& s : r.body.at("subscriptions")) ids.push_back(s.at("id").get<std::size_t>());
    return ids;
  };
  EXPECT_EQ(ids_of(kApiToken), (std::vector<std::size_t>{a_id, a2.body.at("id")}));
  EXPECT_EQ(ids_of(kOther), (std::vector<std::size_t>{b1.body.at("id")}));

  const std::string a_path = "/subscriptions/" + std::to_string(a_id);
  const auto theft = send(port_, "DELETE", a_path, kOther);
  EXPECT_EQ(theft.status, 404u);
  EXPECT_EQ(error_of(theft), "no subscription " + std::to_string(a_id) + " for this token");
  EXPECT_EQ(send(port_, "DELETE", a_path, "").status, 401u);
  EXPECT_EQ(send(port_, "DELETE", a_path, kApiToken).status, 204u);
  EXPECT_EQ(send(port_, "DELETE", a_path, kApiToken).status, 404u);  // already gone
  EXPECT_EQ(ids_of(kApiToken), (std::vector<std::size_t>{a2.body.at("id")}));
  EXPECT_EQ(send(port_, "DELETE", "/subscriptions/99999", kApiToken).status, 404u);
  EXPECT_EQ(send(port_, "DELETE", "/subscriptions/-1", kApiToken).status, 400u);
  EXPECT_EQ(send(port_, "DELETE", "/subscriptions/abc", kApiToken).status, 400u);
  EXPECT_EQ(send(port_, "PUT", a_path, kApiToken).status, 405u);

  // The producer's report counts the deletion.
  const auto report = send(port_, "GET", "/control/report", kControlToken);
  EXPECT_EQ(report.body.at("webhooks").at("subscriptions_deleted"), 1);
  EXPECT_EQ(report.body.at("webhooks").at("subscribers"), 2);
  // Tokens never reach the report.
  EXPECT_EQ(report.body.dump().find(kApiToken), std::string::npos);
}

TEST_F(auth, subscriptions_are_capped_per_token) {
  start({"--max-subscriptions", "2"});
  const auto url = subscribe_body("http://127.0.0.1:9/hook/0");
  EXPECT_EQ(send(port_, "POST", "/subscriptions", kApiToken, url).status, 201u);
  const auto second = send(port_, "POST", "/subscriptions", kApiToken, url);
  EXPECT_EQ(second.status, 201u);
  const auto third = send(port_, "POST", "/subscriptions", kApiToken, url);
  EXPECT_EQ(third.status, 403u);
  EXPECT_NE(error_of(third).find("already holds 2 subscriptions"), std::string::npos)
      << error_of(third);
  // The cap is per token, and a deletion makes room.
  EXPECT_EQ(send(port_, "POST", "/subscriptions", kOther, url).status, 201u);
  EXPECT_EQ(
      send(port_, "DELETE", "/subscriptions/" + second.body.at("id").dump(), kApiToken).status,
      204u);
  EXPECT_EQ(send(port_, "POST", "/subscriptions", kApiToken, url).status, 201u);
}

TEST_F(auth, webhook_targets_must_be_loopback_or_allowed) {
  start({"--allow-hosts", "198.18.0.7,hooks.example"});
  auto status_of = [&](const std::string& url) {
    return send(port_, "POST", "/subscriptions", kApiToken, subscribe_body(url));
  };
  for (const std::string ok :
       {"http://127.0.0.1:9/h", "http://127.1.2.3:9/h", "http://[::1]:9/h", "http://localhost:9/h",
        "http://198.18.0.7:9/h", "http://hooks.example:9/h"}) {
    EXPECT_EQ(status_of(ok).status, 201u) << ok;
  }
  for (const std::string refused :
       {"http://198.18.0.8:9/h", "http://10.0.0.1:80/h", "http://metadata.internal:80/h",
        "http://[::ffff:10.0.0.1]:9/h"}) {
    const auto r = status_of(refused);
    EXPECT_EQ(r.status, 403u) << refused;
    EXPECT_NE(error_of(r).find("is not allowed: only loopback, the subscriber's own address "
                               "(127.0.0.1)"),
              std::string::npos)
        << error_of(r);
  }
  // No --allow-hosts entry opens these: the unspecified address and link-local/metadata ones.
  for (const auto& [refused, why] : std::vector<std::pair<std::string, std::string>>{
           {"http://0.0.0.0:9/h", "0.0.0.0 is not an address to send to"},
           {"http://169.254.169.254:80/h", "169.254.169.254 is a cloud metadata address"},
           {"http://[fe80::1]:80/h", "fe80::1 is a link-local address"}}) {
    const auto r = status_of(refused);
    EXPECT_EQ(r.status, 403u) << refused;
    EXPECT_NE(error_of(r).find(why), std::string::npos) << error_of(r);
  }
}

// A URL that would break the request line, or carries a user name, is refused with 400 before
// anything is sent: a listener on the named port sees no connection at all.
TEST_F(auth, urls_with_control_bytes_spaces_or_userinfo_get_400_and_nothing_is_sent) {
  start();
  const int listener = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  ASSERT_GE(listener, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(listen(listener, 16), 0);
  socklen_t len = sizeof addr;
  getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len);
  const std::string target = "127.0.0.1:" + std::to_string(ntohs(addr.sin_port));
  const std::vector<std::pair<std::string, std::string>> cases = {
      // The injection: a second request smuggled after the first one's request line.
      {"http://" + target + "/x HTTP/1.1\r\nX: 1\r\n\r\nDELETE /admin", "a space 0x20"},
      {"http://" + target + "/x\r\nX: 1", "a control byte 0x0d"},
      {"http://" + target + "/x\nX: 1", "a control byte 0x0a"},
      {"http://" + target + "/x\ty", "a control byte 0x09"},
      {"http://" + target + "/caf\u00e9", "a non-ASCII byte 0xc3"},
      {"http://user:pw@" + target + "/x", "user name or password"},
  };
  for (const auto& [url, why] : cases) {
    const auto r =
        send(port_, "POST", "/subscriptions", kApiToken, nlohmann::json{{"url", url}}.dump());
    EXPECT_EQ(r.status, 400u) << url;
    EXPECT_NE(error_of(r).find(why), std::string::npos) << error_of(r);
    EXPECT_EQ(error_of(r).find('\n'), std::string::npos) << "one line: " << error_of(r);
  }
  // Nothing registered, so nothing is ever sent: even once generation runs, no connection.
  EXPECT_EQ(send(port_, "GET", "/subscriptions", kApiToken).body.at("subscriptions").size(), 0u);
  EXPECT_EQ(send(port_, "POST", "/control/start", kControlToken).status, 200u);
  std::this_thread::sleep_for(milliseconds(500));
  EXPECT_LT(accept(listener, nullptr, nullptr), 0);
  EXPECT_TRUE(errno == EAGAIN || errno == EWOULDBLOCK) << errno;
  close(listener);
}

TEST(auth_tokens, the_ready_line_prints_only_generated_tokens) {
  // No API token given: one is generated and printed; the control token came from the
  // environment and is not.
  process serve(raw_command, {"env", "-u", "HOOKBENCH_TOKEN", HOOKBENCH_BIN, "serve", "--listen",
                              "127.0.0.1:0", "--quiet"});
  const auto ready = json_line(serve, "ready", milliseconds(10'000));
  ASSERT_TRUE(ready) << serve.err();
  EXPECT_EQ(ready->value("token", "").size(), 48u) << ready->dump();
  EXPECT_FALSE(ready->contains("control_token")) << ready->dump();
}

TEST(auth_tokens, the_same_value_as_api_and_control_token_is_refused) {
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"serve", "--listen", "127.0.0.1:0", "--token", "same-secret-1",
                                 "--control-token", "same-secret-1"},
        std::vector<std::string>{"serve", "--listen", "127.0.0.1:0", "--token", kControlToken}}) {
    const auto r = run_hookbench(args, milliseconds(10'000));
    EXPECT_EQ(r.exit.code, 2) << r.err;
    EXPECT_EQ(lines_of(r.err).size(), 1u) << r.err;
    EXPECT_NE(r.err.find("give the control token a value of its own"), std::string::npos) << r.err;
  }
}

// `run` hands each child its own tokens and nothing else of its environment: the consumer
// never sees a control token (this test process holds one in HOOKBENCH_CONTROL_TOKEN), nor a
// secret the orchestrator was started with.
TEST(auth_tokens, a_runs_consumer_never_sees_the_control_token) {
  setenv("HOOKBENCH_TEST_UNRELATED_SECRET", "do-not-pass-me-on", 1);
  process run({"run", "--mode", "webhook", "--rate", "50", "--duration", "3s", "--warmup", "500ms",
               "--out", "/dev/null"});
  unsetenv("HOOKBENCH_TEST_UNRELATED_SECRET");
  std::map<std::string, std::string> environ_of;  // "producer"/"consumer" -> NUL-separated
  const auto deadline = steady::now() + milliseconds(15'000);
  while (environ_of.size() < 2 && steady::now() < deadline) {
    run.pump(milliseconds(100));
    for (const auto& c : children_of(run.pid())) {
      std::ifstream cmd("/proc/" + std::to_string(c.pid) + "/cmdline");
      const std::string argv((std::istreambuf_iterator<char>(cmd)), {});
      const std::string role =
          argv.find(std::string("client") + '\0') != std::string::npos  ? "consumer"
          : argv.find(std::string("serve") + '\0') != std::string::npos ? "producer"
                                                                        : "";
      if (role.empty() || environ_of.count(role)) continue;
      std::ifstream env("/proc/" + std::to_string(c.pid) + "/environ");
      const std::string text((std::istreambuf_iterator<char>(env)), {});
      if (text.find("HOOKBENCH_TOKEN=") != std::string::npos) environ_of[role] = text;
    }
  }
  ASSERT_EQ(environ_of.size(), 2u) << run.err();
  const std::string& consumer = environ_of["consumer"];
  EXPECT_EQ(consumer.find("HOOKBENCH_CONTROL_TOKEN="), std::string::npos);
  EXPECT_EQ(consumer.find(kControlToken), std::string::npos);
  // The run's fresh API token, not the one this process holds.
  EXPECT_EQ(consumer.find(kApiToken), std::string::npos);
  for (const auto& [role, text] : environ_of) {
    EXPECT_EQ(text.find("do-not-pass-me-on"), std::string::npos) << role;
  }
  // The producer gets a control token: the run's, not the orchestrator's.
  EXPECT_NE(environ_of["producer"].find("HOOKBENCH_CONTROL_TOKEN="), std::string::npos);
  EXPECT_EQ(environ_of["producer"].find(kControlToken), std::string::npos);
  EXPECT_TRUE(run.wait(milliseconds(30'000)).exited) << run.err();
}

TEST(auth_client, a_client_without_the_token_is_told_what_to_pass) {
  process serve({"serve", "--listen", "127.0.0.1:0", "--quiet"});
  const auto ready = json_line(serve, "ready", milliseconds(10'000));
  ASSERT_TRUE(ready) << serve.err();
  const std::string url = "http://127.0.0.1:" + std::to_string(ready->value("port", 0));
  process client(raw_command, {"env", "-u", "HOOKBENCH_TOKEN", HOOKBENCH_BIN, "client",
                               "--producer", url, "--mode", "poll"});
  const auto e = client.wait(milliseconds(20'000));
  ASSERT_TRUE(e.exited);
  EXPECT_EQ(e.code, 1);
  EXPECT_NE(client.err().find("HTTP 401 from /control/ping (the producer wants its token: --token"),
            std::string::npos)
      << client.err();
  // A malformed --token is refused before anything is sent.
  const auto bad =
      run_hookbench({"client", "--producer", url, "--token", "short"}, milliseconds(10'000));
  EXPECT_EQ(bad.exit.code, 2);
  EXPECT_NE(bad.err.find("--token: a token needs 8 to 512 characters, got 5"), std::string::npos)
      << bad.err;
}

}  // namespace
}  // namespace hookbench_test
