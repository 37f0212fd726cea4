// Command-line value parsing; every failure names the offending text.
#include "core/parse.hpp"

#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <utility>

namespace hookbench {
namespace {

std::string quoted(std::string_view text) { return "'" + std::string(text) + "'"; }

bool to_double(std::string_view text, double& out) {
  if (text.empty()) return false;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && ptr == text.data() + text.size() && std::isfinite(out);
}

}  // namespace

nanos parse_duration(std::string_view text) {
  struct unit {
    std::string_view suffix;
    double ns;
  };
  // Longest suffixes first so "ms" is not read as "s".
  static constexpr unit units[] = {{"us", 1e3}, {"ms", 1e6}, {"s", 1e9}, {"m", 60e9}};
  for (const auto& u : units) {
    if (text.size() > u.suffix.size() && text.ends_with(u.suffix)) {
      double value = 0;
      if (!to_double(text.substr(0, text.size() - u.suffix.size()), value) || value < 0) break;
      // Beyond ~292 years llround overflows to a negative duration that later checks misread.
      if (value * u.ns >= 9e18) throw usage_error("duration " + quoted(text) + " is too long");
      return static_cast<nanos>(std::llround(value * u.ns));
    }
  }
  throw usage_error("expected a duration such as 250ms, 10s or 2m, got " + quoted(text));
}

std::string exact_duration(nanos ns) {
  char buf[48];
  if (ns % 1000 == 0) {
    std::snprintf(buf, sizeof buf, "%lldus", static_cast<long long>(ns / 1000));
  } else {
    std::snprintf(buf, sizeof buf, "%lld.%03lldus", static_cast<long long>(ns / 1000),
                  static_cast<long long>(ns % 1000));
  }
  return buf;
}

std::string format_duration(nanos ns) {
  char buf[32];
  if (ns != 0 && ns % kNanosPerSecond == 0 && ns >= 60 * kNanosPerSecond &&
      ns % (60 * kNanosPerSecond) == 0) {
    std::snprintf(buf, sizeof buf, "%lldm", static_cast<long long>(ns / (60 * kNanosPerSecond)));
  } else if (ns >= kNanosPerSecond) {
    std::snprintf(buf, sizeof buf, "%gs", to_s(ns));
  } else if (ns >= kNanosPerMilli) {
    std::snprintf(buf, sizeof buf, "%gms", to_ms(ns));
  } else {
    std::snprintf(buf, sizeof buf, "%gus", to_us(ns));
  }
  return buf;
}

std::vector<std::string> split_list(std::string_view text) {
  std::vector<std::string> out;
  while (!text.empty()) {
    const auto comma = text.find(',');
    const auto item = text.substr(0, comma);
    if (!item.empty()) out.emplace_back(item);
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return out;
}

std::string parse_token(std::string_view text) {
  if (text.size() < 8 || text.size() > 512) {
    throw usage_error("a token needs 8 to 512 characters, got " + std::to_string(text.size()));
  }
  std::size_t end = text.size();
  while (end > 0 && text[end - 1] == '=') --end;
  for (std::size_t i = 0; i < end; ++i) {
    const char c = text[i];
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '.' || c == '_' || c == '~' || c == '+' || c == '/';
    if (!ok) {
      throw usage_error("a token may hold letters, digits and - . _ ~ + / only, got " +
                        quoted(text.substr(i, 1)) + " at position " + std::to_string(i + 1));
    }
  }
  if (end == 0) throw usage_error("a token cannot be only '='");
  return std::string(text);
}

double parse_positive_double(std::string_view text) {
  double value = 0;
  if (!to_double(text, value) || value <= 0) {
    throw usage_error("expected a positive number, got " + quoted(text));
  }
  return value;
}

double parse_event_rate(std::string_view text) {
  static constexpr std::pair<std::string_view, double> units[] = {
      {"/s", 1}, {"/min", 60}, {"/h", 3600}};
  std::string_view number = text;
  double per = 1;
  for (const auto& [suffix, seconds] : units) {
    if (text.ends_with(suffix)) {
      number = text.substr(0, text.size() - suffix.size());
      per = seconds;
      break;
    }
  }
  double value = 0;
  if (!to_double(number, value) || !(value > 0) || !std::isfinite(value)) {
    throw usage_error("expected a rate such as 5, 5/s, 300/min or 2/h, got " + quoted(text));
  }
  if (value / per > 1e6) throw usage_error("a rate above 1 000 000/s is out of range");
  return value / per;
}

double parse_byte_size(std::string_view text, double most) {
  static constexpr std::pair<std::string_view, double> units[] = {
      {"KiB", 1024}, {"MiB", 1024 * 1024}, {"kB", 1e3}, {"MB", 1e6}, {"B", 1}};
  std::string_view number = text;
  double factor = 1;
  for (const auto& [suffix, f] : units) {
    if (text.ends_with(suffix)) {
      number = text.substr(0, text.size() - suffix.size());
      factor = f;
      break;
    }
  }
  double value = 0;
  if (!to_double(number, value) || !(value > 0) || !std::isfinite(value)) {
    throw usage_error("expected a size such as 512, 2kB or 1KiB, got " + quoted(text));
  }
  if (value * factor > most) {
    throw usage_error(quoted(text) + " is above " + std::to_string(static_cast<long long>(most)) +
                      " bytes");
  }
  return value * factor;
}

double parse_bit_rate(std::string_view text) {
  static constexpr std::pair<std::string_view, double> units[] = {
      {"kbit", 1e3}, {"mbit", 1e6}, {"gbit", 1e9}, {"bit", 1}};
  std::string lower(text);
  for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (const auto& [suffix, factor] : units) {
    if (lower.size() > suffix.size() && lower.ends_with(suffix)) {
      double value = 0;
      if (!to_double(std::string_view(lower).substr(0, lower.size() - suffix.size()), value) ||
          value <= 0) {
        break;
      }
      const double bps = value * factor;
      if (bps < 1000 || bps > 1e12) {
        throw usage_error("rate " + quoted(text) + " is outside 1kbit to 1000gbit");
      }
      return bps;
    }
  }
  throw usage_error("expected a rate such as 500kbit, 10mbit or 1gbit, got " + quoted(text));
}

std::string format_bit_rate(double bits_per_s) {
  char buf[48];
  if (bits_per_s >= 1e9) {
    std::snprintf(buf, sizeof buf, "%ggbit", bits_per_s / 1e9);
  } else if (bits_per_s >= 1e6) {
    std::snprintf(buf, sizeof buf, "%gmbit", bits_per_s / 1e6);
  } else if (bits_per_s >= 1e3) {
    std::snprintf(buf, sizeof buf, "%gkbit", bits_per_s / 1e3);
  } else {
    std::snprintf(buf, sizeof buf, "%gbit", bits_per_s);
  }
  return buf;
}

double parse_non_negative_double(std::string_view text) {
  double value = 0;
  if (!to_double(text, value) || value < 0) {
    throw usage_error("expected a number >= 0, got " + quoted(text));
  }
  return value;
}

std::int64_t parse_int(std::string_view text, std::int64_t min, std::int64_t max) {
  std::int64_t value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || ptr != text.data() + text.size()) {
    throw usage_error("expected an integer, got " + quoted(text));
  }
  if (value < min || value > max) {
    throw usage_error("expected an integer from " + std::to_string(min) + " to " +
                      std::to_string(max) + ", got " + quoted(text));
  }
  return value;
}

bool try_parse_u64(std::string_view text, std::uint64_t& out) {
  if (text.empty() || text.front() < '0' || text.front() > '9') return false;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && ptr == text.data() + text.size();
}

std::string host_port::to_string() const {
  if (host.find(':') != std::string::npos) return "[" + host + "]:" + std::to_string(port);
  return host + ":" + std::to_string(port);
}

host_port parse_host_port(std::string_view text) {
  host_port out;
  std::string_view port_text;
  if (text.starts_with('[')) {
    auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      throw usage_error("expected [IPv6]:PORT, got " + quoted(text));
    }
    out.host = std::string(text.substr(1, close - 1));
    port_text = text.substr(close + 2);
  } else {
    auto colon = text.rfind(':');
    if (colon == std::string_view::npos || colon == 0) {
      throw usage_error("expected HOST:PORT such as 127.0.0.1:8080, got " + quoted(text));
    }
    out.host = std::string(text.substr(0, colon));
    port_text = text.substr(colon + 1);
  }
  if (out.host.empty()) throw usage_error("missing host in " + quoted(text));
  // A bracket belongs around an IPv6 address only: "[:[:1]]:80" would not read back.
  if (out.host.find_first_of("[]") != std::string::npos) {
    throw usage_error("a host holds no '[' or ']' but around an IPv6 address, got " + quoted(text));
  }
  try {
    out.port = static_cast<std::uint16_t>(parse_int(port_text, 0, 65535));
  } catch (const usage_error&) {
    throw usage_error("expected a port from 0 to 65535 in " + quoted(text));
  }
  return out;
}

std::string http_url::to_string() const {
  return (tls ? "https://" : "http://") + address.to_string() + target;
}

std::string unsafe_url_byte(std::string_view text) {
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c > 0x20 && c < 0x7f) continue;
    char what[80];
    std::snprintf(what, sizeof what, "%s 0x%02x at position %zu",
                  c == ' '   ? "a space"
                  : c < 0x80 ? "a control byte"
                             : "a non-ASCII byte",
                  c, i + 1);
    return what;
  }
  return {};
}

http_url parse_http_url(std::string_view text) {
  // A request target goes to the wire as it is: a CR, LF or space in it would end the request
  // line early and let the rest be read as headers or as a second request.
  if (auto why = unsafe_url_byte(text); !why.empty()) {
    throw usage_error("a URL may hold printable ASCII only (percent-encode the rest), got " + why);
  }
  http_url url;
  url.tls = text.starts_with("https://");
  const std::string_view scheme = url.tls ? "https://" : "http://";
  if (!text.starts_with(scheme)) {
    throw usage_error("expected a URL starting with http:// or https://, got " + quoted(text));
  }
  auto rest = text.substr(scheme.size());
  auto slash = rest.find('/');
  if (rest.substr(0, slash).find('@') != std::string_view::npos) {
    throw usage_error("a URL with a user name or password (user@host) is not taken, got " +
                      quoted(text));
  }
  url.address = parse_host_port(rest.substr(0, slash));
  if (slash != std::string_view::npos) url.target = std::string(rest.substr(slash));
  return url;
}

std::vector<int> parse_int_list(std::string_view text) {
  std::vector<int> out;
  std::size_t start = 0;
  while (start <= text.size()) {
    auto comma = text.find(',', start);
    auto item = text.substr(start, comma == std::string_view::npos ? text.npos : comma - start);
    out.push_back(static_cast<int>(parse_int(item, 0, 4095)));
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return out;
}

}  // namespace hookbench
