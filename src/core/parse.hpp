// Parsing of the values users type on the command line: durations, rates, sizes, addresses.
// Every parser throws usage_error with a message that names what was wrong.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.hpp"

namespace hookbench {

// Bad input from the user: reported as one line, exit code 2.
class usage_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// "250ms", "10s", "2m", "1.5s", "500us"; a bare number is rejected (ambiguous unit).
nanos parse_duration(std::string_view text);
// Formats nanoseconds with the largest unit that keeps it readable ("100ms", "1.5s").
std::string format_duration(nanos ns);
// A duration that parse_duration reads back exactly: "250000us", "1.5us".
std::string exact_duration(nanos ns);

double parse_positive_double(std::string_view text);
// A link's bandwidth in bits per second: "500kbit", "10mbit", "1gbit", "64000bit" (decimal
// prefixes, as tc writes them); a bare number is rejected (bits or bytes?).
double parse_bit_rate(std::string_view text);
// "10mbit", "1.5gbit", "500kbit": the largest unit that keeps the number at least 1.
std::string format_bit_rate(double bits_per_s);
double parse_non_negative_double(std::string_view text);
// An event rate: "5", "5/s", "300/min", "2/h", as events per second, above 0 and at most 10^6.
double parse_event_rate(std::string_view text);
// A size in bytes: "512", "512B", "2kB", "1KiB", "1MB", "1MiB", above 0 and at most `most`.
double parse_byte_size(std::string_view text, double most);
std::int64_t parse_int(std::string_view text, std::int64_t min, std::int64_t max);
// Decimal digits only (no sign, no spaces) that fit 64 bits: for values in requests, where a
// bad one is answered with 400 rather than thrown.
bool try_parse_u64(std::string_view text, std::uint64_t& out);

struct host_port {
  std::string host;
  std::uint16_t port = 0;
  std::string to_string() const;
};
// "127.0.0.1:8080", "[::1]:8080", "localhost:0".
host_port parse_host_port(std::string_view text);

struct http_url {
  host_port address;
  std::string target = "/";  // path and query
  bool tls = false;          // https://
  std::string to_string() const;
};
// http:// and https:// URLs of printable ASCII, without user@ (a target is written to the wire
// as it is).
http_url parse_http_url(std::string_view text);
// Empty when every byte of `text` is printable ASCII (0x21-0x7e); otherwise which byte is not
// and where ("a control byte 0x0d at position 12").
std::string unsafe_url_byte(std::string_view text);

// "0,1" -> {0, 1}
std::vector<int> parse_int_list(std::string_view text);
// "a,b,c" -> {"a","b","c"}, empty items dropped.
std::vector<std::string> split_list(std::string_view text);
// A bearer token: 8 to 512 characters of RFC 6750's token68 alphabet (letters, digits,
// - . _ ~ + / and trailing =).
std::string parse_token(std::string_view text);

}  // namespace hookbench
