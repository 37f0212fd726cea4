// Tokens and the producer's access policy, without a server: which request may use which
// route, which webhook targets are allowed, and how tokens are parsed.
#include "producer/access.hpp"

#include <gtest/gtest.h>

#include <set>

#include "security/token.hpp"

namespace hookbench {
namespace {

http::request request_to(std::string target, std::string authorization = {}) {
  http::request r;
  r.method = "GET";
  r.target = std::move(target);
  if (!authorization.empty()) r.headers.emplace_back("authorization", std::move(authorization));
  return r;
}

TEST(token, random_tokens_are_hex_of_the_asked_length_and_differ) {
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    const auto t = security::random_token(16);
    ASSERT_EQ(t.size(), 32u);
    EXPECT_EQ(t.find_first_not_of("0123456789abcdef"), std::string::npos) << t;
    seen.insert(t);
  }
  EXPECT_EQ(seen.size(), 100u);
}

TEST(token, constant_time_equal_compares_contents_and_lengths) {
  EXPECT_TRUE(security::constant_time_equal("abc", "abc"));
  EXPECT_TRUE(security::constant_time_equal("", ""));
  EXPECT_FALSE(security::constant_time_equal("abc", "abd"));
  EXPECT_FALSE(security::constant_time_equal("abc", "abcd"));
  EXPECT_FALSE(security::constant_time_equal("", "a"));
}

TEST(token, bearer_scheme_is_case_insensitive_and_others_are_not_tokens) {
  EXPECT_EQ(security::bearer_token("Bearer abc123"), "abc123");
  EXPECT_EQ(security::bearer_token("bearer   abc123 "), "abc123");
  EXPECT_EQ(security::bearer_token("BEARER abc123"), "abc123");
  EXPECT_EQ(security::bearer_token("Basic dXNlcg=="), "");
  EXPECT_EQ(security::bearer_token("Bearer"), "");
  EXPECT_EQ(security::bearer_token("Bearer "), "");
  EXPECT_EQ(security::bearer_token(""), "");
}

TEST(token, parse_token_checks_length_and_alphabet) {
  EXPECT_EQ(parse_token("abcdEFGH-._~+/09=="), "abcdEFGH-._~+/09==");
  EXPECT_THROW(parse_token("short"), usage_error);
  EXPECT_THROW(parse_token(std::string(513, 'a')), usage_error);
  EXPECT_THROW(parse_token("has space in it"), usage_error);
  EXPECT_THROW(parse_token("abcdefgh\r\nX: y"), usage_error);  // no header injection
  EXPECT_THROW(parse_token("========"), usage_error);
  EXPECT_THROW(parse_token("abcd=efgh"), usage_error);  // '=' only at the end
  try {
    parse_token("abcdefg!");
    FAIL();
  } catch (const usage_error& e) {
    EXPECT_STREQ(e.what(),
                 "a token may hold letters, digits and - . _ ~ + / only, got '!' at position 8");
  }
}

TEST(token, split_list_drops_empty_items) {
  EXPECT_EQ(split_list("a,b,,c,"), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_TRUE(split_list("").empty());
}

TEST(access, tokens_not_given_are_generated) {
  access_policy p({});
  ASSERT_EQ(p.tokens().size(), 1u);
  EXPECT_EQ(p.tokens()[0].size(), 48u);
  EXPECT_EQ(p.control_token().size(), 48u);
  EXPECT_NE(p.tokens()[0], p.control_token());
}

TEST(access, routes_take_the_right_token) {
  access_policy p({{"api-token-1", "api-token-2"}, "control-token", {}});
  EXPECT_FALSE(p.check(request_to("/events?after=1", "Bearer api-token-1")));
  EXPECT_FALSE(p.check(request_to("/stream", "Bearer api-token-2")));
  EXPECT_FALSE(p.check(request_to("/control/ping", "Bearer api-token-2")));
  EXPECT_FALSE(p.check(request_to("/control/window", "Bearer api-token-1")));
  EXPECT_FALSE(p.check(request_to("/control/start", "Bearer control-token")));
  EXPECT_FALSE(p.check(request_to("/control/window", "Bearer control-token")));

  for (const auto& [target, auth] :
       std::vector<std::pair<std::string, std::string>>{{"/events", ""},
                                                        {"/events", "Bearer api-token-3"},
                                                        {"/events", "Bearer control-token"},
                                                        {"/events", "Bearer api-token-1x"},
                                                        {"/events", "Basic api-token-1"},
                                                        {"/control/start", "Bearer api-token-1"},
                                                        {"/control/report", "Bearer api-token-2"},
                                                        {"/control/shutdown", ""}}) {
    const auto refused = p.check(request_to(target, auth));
    ASSERT_TRUE(refused) << target << " with '" << auth << "'";
    EXPECT_EQ(refused->status, 401u);
    EXPECT_EQ(http::find_header(refused->headers, "WWW-Authenticate"),
              "Bearer realm=\"hookbench\"");
  }
  EXPECT_EQ(p.owner(request_to("/subscriptions", "Bearer api-token-2")), "api-token-2");
}

TEST(access, webhook_targets_are_loopback_the_peer_or_allowed) {
  access_policy p({{"api-token-1"}, "control-token", {"hooks.example", "198.51.100.7"}});
  for (const char* host : {"127.0.0.1", "127.255.0.9", "::1", "localhost", "::ffff:127.0.0.1",
                           "hooks.example", "198.51.100.7"}) {
    EXPECT_EQ(p.check_target({host, 80}, "127.0.0.1"), "") << host;
  }
  EXPECT_EQ(p.check_target({"198.18.0.2", 80}, "198.18.0.2"), "");  // the peer's own address
  EXPECT_EQ(p.check_target({"::ffff:198.18.0.2", 80}, "::ffff:198.18.0.2"), "");
  for (const char* host : {"198.18.0.3", "10.0.0.1", "0.0.0.0", "::", "169.254.169.254",
                           "example.com", "::ffff:10.0.0.1", "127.0.0.1.nip.io"}) {
    EXPECT_NE(p.check_target({host, 80}, "198.18.0.2"), "") << host;
  }
  EXPECT_EQ(p.check_target({"10.0.0.1", 80}, ""),
            "webhook target host 10.0.0.1 is not allowed: only loopback, the subscriber's own "
            "address (unknown) and serve --allow-hosts");
  access_policy any({{"api-token-1"}, "control-token", {"*"}});
  EXPECT_EQ(any.check_target({"10.0.0.1", 80}, ""), "");
}

TEST(access, loopback_targets_only_for_a_peer_on_loopback) {
  access_policy p({{"api-token-1"}, "control-token", {"*"}});
  for (const char* host : {"127.0.0.1", "::1", "localhost", "::ffff:127.0.0.1", "127.9.9.9"}) {
    EXPECT_EQ(p.check_target({host, 80}, "127.0.0.1"), "") << host;
    EXPECT_EQ(p.check_target({host, 80}, "::1"), "") << host;
    // A remote peer may not point the producer at its own loopback, "*" or not.
    EXPECT_NE(p.check_target({host, 80}, "198.18.0.2").find("loopback"), std::string::npos) << host;
    EXPECT_NE(p.check_target({host, 80}, ""), "") << host;
  }
}

TEST(access, link_local_and_metadata_only_when_named) {
  access_policy any({{"api-token-1"}, "control-token", {"*"}});
  for (const char* host : {"169.254.169.254", "169.254.1.1", "fe80::1", "fd00:ec2::254",
                           "100.100.100.200", "168.63.129.16", "::ffff:169.254.169.254"}) {
    EXPECT_NE(any.check_target({host, 80}, "127.0.0.1"), "") << host;
  }
  EXPECT_EQ(any.check_target({"169.254.169.254", 80}, "127.0.0.1"),
            "webhook target 169.254.169.254 is a cloud metadata address, reached only when serve "
            "--allow-hosts names this address");
  access_policy named({{"api-token-1"}, "control-token", {"169.254.169.254", "fe80::1"}});
  EXPECT_EQ(named.check_target({"169.254.169.254", 80}, "127.0.0.1"), "");
  EXPECT_EQ(named.check_target({"fe80::1", 80}, "127.0.0.1"), "");
  EXPECT_NE(named.check_target({"169.254.1.1", 80}, "127.0.0.1"), "");
  EXPECT_TRUE(is_link_local(boost::asio::ip::make_address("169.254.0.1")));
  EXPECT_TRUE(is_link_local(boost::asio::ip::make_address("febf::1")));
  EXPECT_FALSE(is_link_local(boost::asio::ip::make_address("169.255.0.1")));
  EXPECT_FALSE(is_link_local(boost::asio::ip::make_address("fec0::1")));
}

// What a name resolves to when a delivery connects passes the same rules (DNS rebinding): the
// rule's name leads the answer, for the dead-letter reason.
TEST(access, the_address_connected_to_is_checked_again) {
  using boost::asio::ip::make_address;
  access_policy p({{"api-token-1"}, "control-token", {"hooks.example"}});
  const std::string remote = "198.18.0.2";
  EXPECT_EQ(p.check_address(make_address("198.51.100.9"), "hooks.example", remote), "");
  const auto rebound = p.check_address(make_address("127.0.0.1"), "hooks.example", remote);
  EXPECT_EQ(rebound.substr(0, rebound.find(':')), "loopback") << rebound;
  const auto meta = p.check_address(make_address("169.254.169.254"), "hooks.example", remote);
  EXPECT_EQ(meta.substr(0, meta.find(':')), "metadata") << meta;
  const auto ll = p.check_address(make_address("fe80::7"), "hooks.example", remote);
  EXPECT_EQ(ll.substr(0, ll.find(':')), "link-local") << ll;
  const auto any = p.check_address(make_address("0.0.0.0"), "hooks.example", "127.0.0.1");
  EXPECT_EQ(any.substr(0, any.find(':')), "unspecified") << any;
  const auto mapped = p.check_address(make_address("::ffff:127.0.0.1"), "hooks.example", remote);
  EXPECT_EQ(mapped.substr(0, mapped.find(':')), "loopback") << mapped;
  // A name not allowed (registered by a peer on loopback as "localhost") may reach loopback
  // only; elsewhere it is refused as a host.
  EXPECT_EQ(p.check_address(make_address("127.0.0.1"), "localhost", "127.0.0.1"), "");
  const auto elsewhere = p.check_address(make_address("10.1.2.3"), "localhost", "127.0.0.1");
  EXPECT_EQ(elsewhere.substr(0, elsewhere.find(':')), "host") << elsewhere;
  // The registering peer's own address stays allowed.
  EXPECT_EQ(p.check_address(make_address(remote), "peer.example", remote), "");
}

TEST(access, an_api_token_equal_to_the_control_token_is_refused) {
  EXPECT_THROW(access_policy({{"same-token-1"}, "same-token-1", {}}), usage_error);
  access_policy supplied({{"api-token-1"}, "control-token", {}});
  EXPECT_FALSE(supplied.generated_token());
  EXPECT_FALSE(supplied.generated_control_token());
  access_policy generated({{}, "", {}});
  EXPECT_TRUE(generated.generated_token());
  EXPECT_TRUE(generated.generated_control_token());
  EXPECT_NE(generated.tokens().front(), generated.control_token());
}

}  // namespace
}  // namespace hookbench
