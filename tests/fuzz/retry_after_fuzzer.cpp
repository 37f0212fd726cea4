// Fuzzes Retry-After (parse_retry_after, bounded_retry_after): delta seconds or an HTTP-date,
// read against a clock taken from the input. A value is never negative, never past ~115 days,
// and bounded_retry_after never past its maximum, saying when it cut.
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include "producer/retry_policy.hpp"

namespace {

using namespace hookbench;

void check(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // The first 8 bytes: the clock (any value, the year 9999 and before 1970 included).
  std::int64_t now = 784'111'777;
  if (size >= 8) {
    std::memcpy(&now, data, 8);
    now %= 253'402'300'800;  // 9999-12-31
    data += 8;
    size -= 8;
  }
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  const auto after = parse_retry_after(in, now);
  if (after) check(*after >= 0 && *after <= 10'000'000 * kNanosPerSecond);
  const nanos max = retry_options{}.retry_after_max;
  bool clamped = false;
  const auto bounded = bounded_retry_after(in, now, max, clamped);
  check(bounded.has_value() == after.has_value());
  if (bounded) {
    check(*bounded >= 0 && *bounded <= max);
    check(clamped == (*after > max));
    check(clamped || *bounded == *after);
  } else {
    check(!clamped);
  }
  return 0;
}
