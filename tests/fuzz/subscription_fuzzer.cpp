// Fuzzes a POST /subscriptions body (and its Content-Type) through parse_subscription: every
// input is a request or a 400/415 with a one-line reason, and an accepted URL holds only
// printable ASCII, names no user@, and parses back to itself, so that the target the
// dispatcher writes on the wire can neither end its request line nor add a header.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "producer/subscription_request.hpp"

namespace {

using namespace hookbench;

void check(bool ok) {
  if (!ok) std::abort();
}

void check_one(std::string_view type, std::string_view body) {
  const auto r = parse_subscription(type, body);
  if (!r.request) {
    check(r.status == 400 || r.status == 415);
    check(!r.error.empty() && r.error.find_first_of("\r\n") == std::string::npos);
    return;
  }
  const auto& u = r.request->url;
  const std::string text = u.to_string();
  check(unsafe_url_byte(text).empty());
  check(unsafe_url_byte(u.target).empty() && u.target.starts_with('/'));
  check(u.address.host.find('@') == std::string::npos);
  const http_url again = parse_http_url(text);
  check(again.address.host == u.address.host && again.address.port == u.address.port &&
        again.target == u.target && again.tls == u.tls);
  const auto& b = r.request->batch;
  check(b.window == 0 || (b.window >= kNanosPerMilli && b.window <= 60 * kNanosPerSecond));
  check(b.max >= 1 && b.max <= 10'000);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  check_one("", in);
  check_one("application/json; charset=utf-8", in);
  // The first line as the Content-Type, the rest as the body.
  const auto nl = in.find('\n');
  if (nl != std::string_view::npos) check_one(in.substr(0, nl), in.substr(nl + 1));
  // The whole input as the URL itself.
  std::string quoted = "{\"url\":\"";
  for (char c : in) {
    if (c == '"' || c == '\\') quoted += '\\';
    quoted += c;
  }
  check_one("", quoted + "\"}");
  return 0;
}
