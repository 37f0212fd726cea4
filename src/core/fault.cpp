// Parsing and naming of injected faults (core/fault.hpp).
#include "core/fault.hpp"

#include <cmath>
#include <nlohmann/json.hpp>

#include "core/enum_names.hpp"
#include "core/parse.hpp"

namespace hookbench {
namespace {

constexpr auto kKinds = make_enum_names<fault_kind>({
    {fault_kind::receiver_down, "receiver-down"},
    {fault_kind::receiver_5xx, "receiver-5xx"},
    {fault_kind::receiver_429, "receiver-429"},
    {fault_kind::receiver_slow, "receiver-slow"},
    {fault_kind::consumer_down, "consumer-down"},
    {fault_kind::link_cut, "link-cut"},
    {fault_kind::producer_restart, "producer-restart"},
});

std::vector<std::string_view> split_colons(std::string_view text) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  for (;;) {
    const auto colon = text.find(':', start);
    parts.push_back(text.substr(start, colon - start));
    if (colon == std::string_view::npos) return parts;
    start = colon + 1;
  }
}

}  // namespace

std::string to_string(fault_kind kind) { return std::string(kKinds.name(kind)); }

std::string fault_kind_names() { return kKinds.joined("|"); }

bool is_receiver_fault(fault_kind kind) {
  return kind == fault_kind::receiver_down || kind == fault_kind::receiver_5xx ||
         kind == fault_kind::receiver_429 || kind == fault_kind::receiver_slow;
}

std::string fault_spec::to_string() const {
  std::string s =
      hookbench::to_string(kind) + ":" + format_duration(at) + ":" + format_duration(length);
  if (kind == fault_kind::receiver_5xx) {
    nlohmann::json p = probability;
    s += ":" + p.dump();
  } else if (kind == fault_kind::receiver_429 || kind == fault_kind::receiver_slow) {
    s += ":" + format_duration(delay);
  }
  return s;
}

nlohmann::json fault_spec::to_json() const {
  nlohmann::json j{{"kind", hookbench::to_string(kind)},
                   {"at_s", to_s(at)},
                   {"for_s", to_s(length)},
                   {"spec", to_string()}};
  if (kind == fault_kind::receiver_5xx) j["probability"] = probability;
  if (kind == fault_kind::receiver_429) j["retry_after_s"] = to_s(delay);
  if (kind == fault_kind::receiver_slow) j["delay_s"] = to_s(delay);
  return j;
}

fault_spec parse_fault(std::string_view text) {
  const auto parts = split_colons(text);
  const std::string quoted = "'" + std::string(text) + "'";
  if (parts.size() < 3 || parts.size() > 4) {
    throw usage_error("expected KIND:AT:FOR[:PARAM] (e.g. receiver-down:1s:2s), got " + quoted);
  }
  fault_spec f;
  if (const auto kind = kKinds.find(parts[0])) {
    f.kind = *kind;
  } else {
    throw usage_error("unknown fault kind '" + std::string(parts[0]) + "' in " + quoted +
                      " (expected " + fault_kind_names() + ")");
  }
  try {
    f.at = parse_duration(parts[1]);
  } catch (const usage_error& e) {
    throw usage_error("AT in " + quoted + ": " + e.what());
  }
  try {
    f.length = parse_duration(parts[2]);
  } catch (const usage_error& e) {
    throw usage_error("FOR in " + quoted + ": " + e.what());
  }
  if (f.length <= 0) throw usage_error("FOR in " + quoted + " must be more than 0");
  const bool has_param = parts.size() == 4;
  switch (f.kind) {
    case fault_kind::receiver_5xx:
      f.probability = 1;
      if (has_param) {
        try {
          f.probability = parse_positive_double(parts[3]);
        } catch (const usage_error& e) {
          throw usage_error("probability in " + quoted + ": " + e.what());
        }
        if (f.probability > 1) {
          throw usage_error("probability in " + quoted + " must be in (0, 1]");
        }
      }
      break;
    case fault_kind::receiver_429:
      f.delay = kNanosPerSecond;
      if (has_param) {
        try {
          f.delay = parse_duration(parts[3]);
        } catch (const usage_error& e) {
          throw usage_error("Retry-After in " + quoted + ": " + e.what());
        }
        // Retry-After carries whole seconds (RFC 9110 10.2.3).
        if (f.delay <= 0 || f.delay % kNanosPerSecond != 0) {
          throw usage_error("Retry-After in " + quoted + " must be whole seconds (1s, 2s, ...)");
        }
      }
      break;
    case fault_kind::receiver_slow:
      f.delay = 6 * kNanosPerSecond;
      if (has_param) {
        try {
          f.delay = parse_duration(parts[3]);
        } catch (const usage_error& e) {
          throw usage_error("delay in " + quoted + ": " + e.what());
        }
        if (f.delay <= 0) throw usage_error("delay in " + quoted + " must be more than 0");
      }
      break;
    default:
      if (has_param) {
        throw usage_error(to_string(f.kind) + " takes no parameter, got " + quoted);
      }
  }
  return f;
}

void check_faults(const std::vector<fault_spec>& faults) {
  for (std::size_t i = 0; i < faults.size(); ++i) {
    for (std::size_t j = i + 1; j < faults.size(); ++j) {
      const auto& a = faults[i];
      const auto& b = faults[j];
      if (a.kind == b.kind && a.at < b.end() && b.at < a.end()) {
        throw usage_error("faults " + a.to_string() + " and " + b.to_string() + " overlap");
      }
    }
  }
}

}  // namespace hookbench
