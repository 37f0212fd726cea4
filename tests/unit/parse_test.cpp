// Command-line value parsing (core/parse) and the declarative flag parser (core/cli): what users
// type is accepted exactly when it is unambiguous, and every rejection names what was wrong.
#include "core/parse.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/cli.hpp"

namespace hookbench {
namespace {

// The message of the usage_error `fn` throws, or a marker when it throws nothing.
template <class Fn>
std::string usage_message(Fn&& fn) {
  try {
    fn();
  } catch (const usage_error& e) {
    return e.what();
  }
  return "<no usage_error>";
}

TEST(parse_duration, accepts_every_unit) {
  EXPECT_EQ(parse_duration("500us"), 500 * kNanosPerMicro);
  EXPECT_EQ(parse_duration("250ms"), 250 * kNanosPerMilli);
  EXPECT_EQ(parse_duration("10s"), 10 * kNanosPerSecond);
  EXPECT_EQ(parse_duration("2m"), 120 * kNanosPerSecond);
  EXPECT_EQ(parse_duration("1.5s"), 1'500 * kNanosPerMilli);
  EXPECT_EQ(parse_duration("0.25ms"), 250 * kNanosPerMicro);
  EXPECT_EQ(parse_duration("0s"), 0);  // the parser allows zero; commands decide their minimum
}

TEST(parse_duration, rejects_bare_numbers_negatives_and_garbage) {
  for (const char* bad : {"5", "100", "1.5", "", "ms", "s", "-1s", "-250ms", "abc", "5 ms", "5h",
                          "5sec", "s5", "1,5s", "infs", "nanms", "+1s"}) {
    const std::string msg = usage_message([&] { parse_duration(bad); });
    EXPECT_NE(msg, "<no usage_error>") << "accepted '" << bad << "'";
    std::string quoted = "'";  // (not "'" + ...: g++ 12 -O3 misreports -Wrestrict on that)
    quoted.append(bad).append("'");
    EXPECT_NE(msg.find(quoted), std::string::npos) << "message does not quote the input: " << msg;
  }
}

TEST(parse_duration, rejects_durations_beyond_the_nanosecond_range) {
  // 1e12 s does not fit in int64 nanoseconds; it must not wrap to a negative duration.
  for (const char* bad : {"1e12s", "1e300m", "9223372037s"}) {
    const std::string msg = usage_message([&] { parse_duration(bad); });
    EXPECT_NE(msg.find("too long"), std::string::npos) << bad << ": " << msg;
  }
  EXPECT_EQ(parse_duration("100000m"), 100'000 * 60 * kNanosPerSecond);  // long but fine
}

TEST(parse_bit_rate, decimal_units_as_tc_writes_them) {
  EXPECT_EQ(parse_bit_rate("10mbit"), 10e6);
  EXPECT_EQ(parse_bit_rate("1gbit"), 1e9);
  EXPECT_EQ(parse_bit_rate("500kbit"), 500e3);
  EXPECT_EQ(parse_bit_rate("1.5Mbit"), 1.5e6);
  EXPECT_EQ(parse_bit_rate("64000bit"), 64e3);
  EXPECT_EQ(format_bit_rate(10e6), "10mbit");
  EXPECT_EQ(format_bit_rate(1.5e9), "1.5gbit");
  for (const char* bad : {"10", "10mb", "fast", "-5mbit", "0mbit", "mbit", "10 mbit"}) {
    EXPECT_NE(usage_message([&] { parse_bit_rate(bad); }).find("expected a rate"),
              std::string::npos)
        << bad;
  }
  EXPECT_NE(usage_message([&] { parse_bit_rate("5bit"); }).find("outside"), std::string::npos);
}

TEST(format_duration, picks_a_readable_unit) {
  EXPECT_EQ(format_duration(100 * kNanosPerMilli), "100ms");
  EXPECT_EQ(format_duration(1'500 * kNanosPerMilli), "1.5s");
  EXPECT_EQ(format_duration(120 * kNanosPerSecond), "2m");
  EXPECT_EQ(format_duration(250 * kNanosPerMicro), "250us");
  // What format_duration prints, parse_duration reads back.
  for (nanos ns : {nanos{1'000}, 20 * kNanosPerMilli, 3 * kNanosPerSecond, 60 * kNanosPerSecond}) {
    EXPECT_EQ(parse_duration(format_duration(ns)), ns) << format_duration(ns);
  }
}

TEST(parse_host_port, ipv4_name_and_bracketed_ipv6) {
  auto a = parse_host_port("127.0.0.1:8080");
  EXPECT_EQ(a.host, "127.0.0.1");
  EXPECT_EQ(a.port, 8080);
  EXPECT_EQ(a.to_string(), "127.0.0.1:8080");

  auto b = parse_host_port("[::1]:80");
  EXPECT_EQ(b.host, "::1");
  EXPECT_EQ(b.port, 80);
  EXPECT_EQ(b.to_string(), "[::1]:80");  // IPv6 is bracketed again when printed

  auto c = parse_host_port("localhost:0");
  EXPECT_EQ(c.host, "localhost");
  EXPECT_EQ(c.port, 0);

  EXPECT_EQ(parse_host_port("h:65535").port, 65535);
}

TEST(parse_host_port, rejects_missing_parts_and_bad_ports) {
  for (const char* bad : {"127.0.0.1", ":80", "host:", "host:65536", "host:-1", "host:http",
                          "[::1]80", "[::1", "[::1]:", "[]:80", "", "host:80x"}) {
    EXPECT_NE(usage_message([&] { parse_host_port(bad); }), "<no usage_error>")
        << "accepted '" << bad << "'";
  }
}

TEST(parse_http_url, splits_address_and_target) {
  auto u = parse_http_url("http://127.0.0.1:8080");
  EXPECT_EQ(u.address.host, "127.0.0.1");
  EXPECT_EQ(u.address.port, 8080);
  EXPECT_EQ(u.target, "/");

  auto v = parse_http_url("http://[::1]:9000/hook/3?x=1");
  EXPECT_EQ(v.address.host, "::1");
  EXPECT_EQ(v.address.port, 9000);
  EXPECT_EQ(v.target, "/hook/3?x=1");
  EXPECT_EQ(v.to_string(), "http://[::1]:9000/hook/3?x=1");
  EXPECT_FALSE(v.tls);

  auto w = parse_http_url("https://127.0.0.1:8443/hook/0");
  EXPECT_TRUE(w.tls);
  EXPECT_EQ(w.address.port, 8443);
  EXPECT_EQ(w.target, "/hook/0");
  EXPECT_EQ(w.to_string(), "https://127.0.0.1:8443/hook/0");
}

TEST(parse_http_url, rejects_other_schemes_and_missing_ports) {
  for (const char* bad : {"127.0.0.1:80", "http://", "http://host/", "https://host/", "ftp://h:21",
                          "HTTP//h:1", "http://h:99999/", "httpss://h:1"}) {
    EXPECT_NE(usage_message([&] { parse_http_url(bad); }), "<no usage_error>")
        << "accepted '" << bad << "'";
  }
}

// A target goes to the wire as it is: nothing that could end the request line or add a header,
// and no user@ (a URL that names one host and reaches another).
TEST(parse_http_url, refuses_control_bytes_spaces_non_ascii_and_userinfo) {
  EXPECT_EQ(usage_message([] { parse_http_url("http://127.0.0.1:9/x HTTP/1.1\r\nX: 1"); }),
            "a URL may hold printable ASCII only (percent-encode the rest), got a space 0x20 at "
            "position 21");
  for (const std::string& bad :
       {std::string("http://127.0.0.1:9/x\r\n"), std::string("http://127.0.0.1:9/\t"),
        std::string("http://127.0.0.1:9/\x7f"), std::string("http://127.0.0.1:9/caf\xc3\xa9"),
        std::string("http://127.0.0.1:9/a\0b", 21), std::string("http://u:p@127.0.0.1:9/"),
        std::string("http://u@hooks.example:80/"), std::string("http://[:[:1]]:80/"),
        std::string("http://:[:1]:80/")}) {
    EXPECT_NE(usage_message([&] { parse_http_url(bad); }), "<no usage_error>") << bad;
  }
  // '@' in the path is not userinfo; percent-encoded bytes pass as they are.
  EXPECT_EQ(parse_http_url("http://127.0.0.1:9/a@b?c=%0d%0a").target, "/a@b?c=%0d%0a");
}

TEST(parse_int, range_is_inclusive_and_named_in_errors) {
  EXPECT_EQ(parse_int("1", 1, 10), 1);
  EXPECT_EQ(parse_int("10", 1, 10), 10);
  EXPECT_EQ(parse_int("-5", -10, 10), -5);
  const std::string msg = usage_message([] { parse_int("0", 1, 100'000); });
  EXPECT_NE(msg.find("from 1 to 100000"), std::string::npos) << msg;
  for (const char* bad : {"", "x", "4.2", " 1", "1 ", "0x10", "1e3", "99999999999999999999"}) {
    EXPECT_NE(usage_message([&] { parse_int(bad, 0, 1'000'000); }), "<no usage_error>")
        << "accepted '" << bad << "'";
  }
}

TEST(parse_int_list, comma_separated_integers) {
  EXPECT_EQ(parse_int_list("0,1"), (std::vector<int>{0, 1}));
  EXPECT_EQ(parse_int_list("3"), (std::vector<int>{3}));
  EXPECT_EQ(parse_int_list("4,0,2"), (std::vector<int>{4, 0, 2}));
  for (const char* bad : {"", "0,", ",1", "0,,1", "a,b", "0;1", "-1,0"}) {
    EXPECT_NE(usage_message([&] { parse_int_list(bad); }), "<no usage_error>")
        << "accepted '" << bad << "'";
  }
}

TEST(parse_double, positive_and_non_negative) {
  EXPECT_DOUBLE_EQ(parse_positive_double("100"), 100.0);
  EXPECT_DOUBLE_EQ(parse_positive_double("0.5"), 0.5);
  EXPECT_DOUBLE_EQ(parse_positive_double("1e3"), 1000.0);
  EXPECT_DOUBLE_EQ(parse_non_negative_double("0"), 0.0);
  for (const char* bad : {"0", "-1", "abc", "", "inf", "nan", "1/s"}) {
    EXPECT_NE(usage_message([&] { parse_positive_double(bad); }), "<no usage_error>")
        << "accepted '" << bad << "'";
  }
  EXPECT_NE(usage_message([] { parse_non_negative_double("-0.1"); }), "<no usage_error>");
}

// --- option_parser ------------------------------------------------------------------------------

// Owns argv storage for option_parser::parse.
struct args {
  explicit args(std::vector<std::string> a) : store(std::move(a)) {
    for (auto& s : store) ptrs.push_back(s.data());
  }
  int argc() const { return static_cast<int>(ptrs.size()); }
  char** argv() { return ptrs.data(); }
  std::vector<std::string> store;
  std::vector<char*> ptrs;
};

struct cli_fixture : ::testing::Test {
  double rate = 0;
  int quiet_calls = 0;
  option_parser parser{"hookbench test", "A parser under test."};

  void SetUp() override {
    parser
        .add("--rate", "EVENTS/S", "mean event rate", "100",
             [this](std::string_view v) { rate = parse_positive_double(v); })
        .add_section("Advanced:")
        .add_switch("--quiet", "no progress", [this] { ++quiet_calls; });
  }

  // The usage_error message parsing `a` produces.
  std::string error_of(std::vector<std::string> a) {
    args x(std::move(a));
    return usage_message([&] { parser.parse(x.argc(), x.argv()); });
  }
};

TEST_F(cli_fixture, separate_and_inline_values) {
  args a({"--rate", "5"});
  ASSERT_TRUE(parser.parse(a.argc(), a.argv()));
  EXPECT_DOUBLE_EQ(rate, 5.0);
  args b({"--rate=7.5", "--quiet"});
  ASSERT_TRUE(parser.parse(b.argc(), b.argv()));
  EXPECT_DOUBLE_EQ(rate, 7.5);
  EXPECT_EQ(quiet_calls, 1);
}

TEST_F(cli_fixture, given_reports_only_flags_the_user_typed) {
  args a({"--rate", "5"});
  ASSERT_TRUE(parser.parse(a.argc(), a.argv()));
  EXPECT_TRUE(parser.given("--rate"));
  EXPECT_FALSE(parser.given("--quiet"));
  EXPECT_FALSE(parser.given("--help"));
}

TEST_F(cli_fixture, unknown_flag_is_named) {
  const std::string msg = error_of({"--rate", "5", "--bogus", "1"});
  EXPECT_NE(msg.find("unknown option --bogus"), std::string::npos) << msg;
  EXPECT_NE(msg.find("hookbench test --help"), std::string::npos) << msg;
}

TEST_F(cli_fixture, missing_value_is_named) {
  const std::string msg = error_of({"--rate"});
  EXPECT_EQ(msg.rfind("--rate:", 0), 0u) << msg;
  EXPECT_NE(msg.find("missing value"), std::string::npos) << msg;
}

TEST_F(cli_fixture, bad_value_error_starts_with_the_flag) {
  const std::string msg = error_of({"--rate", "abc"});
  EXPECT_EQ(msg.rfind("--rate: ", 0), 0u) << msg;
  EXPECT_NE(msg.find("'abc'"), std::string::npos) << msg;
}

TEST_F(cli_fixture, positional_argument_and_switch_value_rejected) {
  EXPECT_NE(error_of({"poll"}).find("unexpected argument 'poll'"), std::string::npos);
  EXPECT_EQ(error_of({"--quiet=yes"}).rfind("--quiet:", 0), 0u);
  EXPECT_EQ(quiet_calls, 0);
}

TEST_F(cli_fixture, help_returns_false_and_lists_every_flag) {
  args a({"--rate", "5", "--help", "--bogus"});
  testing::internal::CaptureStdout();
  const bool proceed = parser.parse(a.argc(), a.argv());
  const std::string out = testing::internal::GetCapturedStdout();
  EXPECT_FALSE(proceed);
  EXPECT_EQ(out, parser.help_text());
  for (const char* needle : {"usage: hookbench test", "--rate EVENTS/S", "[default: 100]",
                             "Advanced:", "--quiet", "--help"}) {
    EXPECT_NE(out.find(needle), std::string::npos) << needle;
  }
}

TEST_F(cli_fixture, empty_argv_is_fine) {
  args a({});
  EXPECT_TRUE(parser.parse(a.argc(), a.argv()));
  EXPECT_DOUBLE_EQ(rate, 0.0);  // defaults belong to the caller, not the parser
}

}  // namespace
}  // namespace hookbench

namespace hookbench {
namespace {

TEST(parse_event_rate, per_second_minute_and_hour) {
  EXPECT_DOUBLE_EQ(parse_event_rate("5"), 5);
  EXPECT_DOUBLE_EQ(parse_event_rate("5/s"), 5);
  EXPECT_DOUBLE_EQ(parse_event_rate("300/min"), 5);
  EXPECT_DOUBLE_EQ(parse_event_rate("2/h"), 2.0 / 3600);
  EXPECT_DOUBLE_EQ(parse_event_rate("1e6/s"), 1e6);
  for (const char* bad : {"0", "-1/s", "fast", "5/d", "", "/s", "inf", "nan", "2e6"}) {
    EXPECT_THROW(parse_event_rate(bad), usage_error) << bad;
  }
}

TEST(parse_byte_size, units_and_the_bound) {
  EXPECT_DOUBLE_EQ(parse_byte_size("512", 1 << 20), 512);
  EXPECT_DOUBLE_EQ(parse_byte_size("512B", 1 << 20), 512);
  EXPECT_DOUBLE_EQ(parse_byte_size("2kB", 1 << 20), 2000);
  EXPECT_DOUBLE_EQ(parse_byte_size("1KiB", 1 << 20), 1024);
  EXPECT_DOUBLE_EQ(parse_byte_size("1MiB", 1 << 20), 1 << 20);
  for (const char* bad : {"0", "1e305", "2MiB", "1GB", "big", "-1kB", "KiB"}) {
    EXPECT_THROW(parse_byte_size(bad, 1 << 20), usage_error) << bad;
  }
}

}  // namespace
}  // namespace hookbench
