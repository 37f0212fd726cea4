// Fuzzes the value parsers of core/parse.hpp (cursors, durations, addresses, URLs, lists) and
// request::query. Each must return or throw usage_error, never anything else, and what it
// returns must be what it read: a number prints back as its digits, an address or URL parses
// back to itself; an accepted URL holds printable ASCII only and no user@.
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "core/parse.hpp"
#include "http/message.hpp"

namespace {

using namespace hookbench;

void check(bool ok) {
  if (!ok) std::abort();
}

template <class Fn>
void expect_usage_error_or_value(Fn&& fn) {
  try {
    fn();
  } catch (const usage_error&) {
  }
}

void check_u64(std::string_view text) {
  std::uint64_t v = 0;
  const bool ok = try_parse_u64(text, v);
  const bool digits =
      !text.empty() && text.find_first_not_of("0123456789") == std::string_view::npos;
  if (!digits) return check(!ok);
  auto significant = text.substr(std::min(text.find_first_not_of('0'), text.size() - 1));
  if (significant.size() < 20) return check(ok && std::to_string(v) == significant);
  if (ok) check(std::to_string(v) == significant);  // 20 digits fit only up to 2^64 - 1
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  check_u64(in);
  expect_usage_error_or_value([&] {
    const nanos d = parse_duration(in);
    check(d >= 0);
    (void)format_duration(d);
  });
  expect_usage_error_or_value([&] {
    const double v = parse_positive_double(in);
    check(v > 0 && std::isfinite(v));
  });
  expect_usage_error_or_value([&] {
    const double v = parse_non_negative_double(in);
    check(v >= 0 && std::isfinite(v));
  });
  expect_usage_error_or_value([&] {
    const auto v = parse_int(in, -1000, 1000);
    check(v >= -1000 && v <= 1000);
  });
  expect_usage_error_or_value([&] { (void)parse_int_list(in); });
  expect_usage_error_or_value([&] {
    const host_port hp = parse_host_port(in);
    const host_port again = parse_host_port(hp.to_string());
    check(again.host == hp.host && again.port == hp.port);
  });
  expect_usage_error_or_value([&] {
    const http_url u = parse_http_url(in);
    // Nothing that could end a request line or add a header, and no user@.
    for (unsigned char c : u.to_string()) check(c > 0x20 && c < 0x7f);
    check(u.target.starts_with('/') && u.address.host.find('@') == std::string::npos);
    const http_url again = parse_http_url(u.to_string());
    check(again.address.host == u.address.host && again.address.port == u.address.port &&
          again.target == u.target);
  });
  http::request req;
  req.target = "/events?" + std::string(in);
  for (const char* name : {"after", "limit", "wait", ""}) check_u64(req.query(name, "x"));
  return 0;
}
