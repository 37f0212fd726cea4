// Fuzzes the Authorization header's token (security::bearer_token) and the token parser
// (parse_token) with constant_time_equal: bearer_token returns a piece of its input, only after
// a case-insensitive "Bearer ", with no space around it; parse_token accepts only 8 to 512
// characters of RFC 6750's token68 alphabet and returns them unchanged.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "core/parse.hpp"
#include "security/token.hpp"

namespace {

using namespace hookbench;

void check(bool ok) {
  if (!ok) std::abort();
}

bool token68(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~' || c == '+' || c == '/' || c == '=';
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  const std::string_view token = security::bearer_token(in);
  if (!token.empty()) {
    // A view into the header, after its scheme.
    check(token.data() >= in.data() + 7 && token.data() + token.size() <= in.data() + in.size());
    check(in.size() > 7);
    std::string scheme(in.substr(0, 7));
    for (auto& c : scheme) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    check(scheme == "bearer ");
    check(token.front() != ' ' && token.back() != ' ' && token.back() != '\t');
  }
  check(security::constant_time_equal(token, token));
  check(security::constant_time_equal(in, token) == (in == token));
  try {
    const std::string t = parse_token(token.empty() ? in : token);
    check(t.size() >= 8 && t.size() <= 512);
    for (char c : t) check(token68(c));
    check(t.find_first_not_of('=') != std::string::npos);
  } catch (const usage_error&) {
  }
  return 0;
}
