// The knob table: one row per knob, read by every command that takes them.
#include "modes/tuning.hpp"

#include <functional>
#include <optional>

#include "core/cli.hpp"
#include "core/parse.hpp"

namespace hookbench {

namespace {

std::string us(nanos d) { return std::to_string(d / kNanosPerMicro) + "us"; }

struct knob {
  const char* flag;
  const char* value_name;
  const char* help;
  const char* default_text;
  std::function<void(mode_tuning&, std::string_view)> parse;
  // Its value in a result's "tuning" (by JSON name), or nothing to record.
  std::function<void(const mode_tuning&, nanos interval, nlohmann::json&)> record;
  // Its flag's value as `run` hands it to `client`, or nothing to pass.
  std::function<std::optional<std::string>(const mode_tuning&)> arg;
};

const std::vector<knob>& knobs() {
  static const std::vector<knob> table = {
      {"--backoff", "FACTOR", "poll-adaptive: the interval grows by FACTOR after an empty poll",
       "2",
       [](mode_tuning& t, std::string_view v) {
         t.backoff = parse_positive_double(v);
         if (t.backoff < 1) throw usage_error("must be at least 1");
       },
       [](const mode_tuning& t, nanos, nlohmann::json& j) { j["backoff"] = t.backoff; },
       [](const mode_tuning& t) -> std::optional<std::string> {
         return std::to_string(t.backoff);
       }},
      {"--max-interval", "DURATION", "poll-adaptive: the interval's cap", "8 x --interval",
       [](mode_tuning& t, std::string_view v) {
         t.max_interval = parse_duration(v);
         if (t.max_interval < kNanosPerMilli) throw usage_error("must be at least 1ms");
       },
       [](const mode_tuning& t, nanos interval, nlohmann::json& j) {
         j["max_interval_ms"] = to_ms(t.cap(interval));
       },
       [](const mode_tuning& t) -> std::optional<std::string> {
         if (t.max_interval <= 0) return std::nullopt;
         return us(t.max_interval);
       }},
      {"--wait", "DURATION", "long-poll: how long the producer holds a request", "30s",
       [](mode_tuning& t, std::string_view v) {
         t.wait = parse_duration(v);
         if (t.wait < kNanosPerMilli || t.wait > 300 * kNanosPerSecond) {
           throw usage_error("must be from 1ms to 300s");
         }
       },
       [](const mode_tuning& t, nanos, nlohmann::json& j) { j["wait_ms"] = to_ms(t.wait); },
       [](const mode_tuning& t) -> std::optional<std::string> { return us(t.wait); }},
      {"--batch-window", "DURATION",
       "webhook-batch: a batch is sent at most this long after its first event", "50ms",
       [](mode_tuning& t, std::string_view v) {
         t.batch_window = parse_duration(v);
         if (t.batch_window < kNanosPerMilli) throw usage_error("must be at least 1ms");
       },
       [](const mode_tuning& t, nanos, nlohmann::json& j) {
         j["batch_window_ms"] = to_ms(t.batch_window);
       },
       [](const mode_tuning& t) -> std::optional<std::string> { return us(t.batch_window); }},
      {"--ack", "KIND",
       "webhook modes: how the receiver acknowledges: empty (204) or json\n"
       "                            (200 with a small JSON body, as many receivers do)",
       "empty",
       [](mode_tuning& t, std::string_view v) {
         if (v != "empty" && v != "json") {
           throw usage_error("expected empty or json, got '" + std::string(v) + "'");
         }
         t.ack = std::string(v);
       },
       [](const mode_tuning& t, nanos, nlohmann::json& j) {
         if (t.ack != "empty") j["ack"] = t.ack;
       },
       [](const mode_tuning& t) -> std::optional<std::string> {
         if (t.ack == "empty") return std::nullopt;
         return t.ack;
       }},
      {"--batch-max", "EVENTS", "webhook-batch: events per POST at most", "100",
       [](mode_tuning& t, std::string_view v) {
         t.batch_max = static_cast<std::size_t>(parse_int(v, 1, 10'000));
       },
       [](const mode_tuning& t, nanos, nlohmann::json& j) { j["batch_max"] = t.batch_max; },
       [](const mode_tuning& t) -> std::optional<std::string> {
         return std::to_string(t.batch_max);
       }},
  };
  return table;
}

}  // namespace

nanos mode_tuning::longest_gap(const mode_descriptor& mode, nanos interval) const {
  switch (mode.gap) {
    case design_gap::interval:
      return interval;
    case design_gap::adaptive_cap:
      return cap(interval);
    case design_gap::batch_window:
      return batch_window;
    case design_gap::none:
      break;
  }
  return 0;
}

std::vector<std::string> mode_tuning::to_args(const mode_descriptor& mode) const {
  std::vector<std::string> args;
  for (const auto& k : knobs()) {
    if (!mode.uses_knob(k.flag)) continue;
    if (auto v = k.arg(*this)) args.insert(args.end(), {k.flag, *v});
  }
  return args;
}

nlohmann::json mode_tuning::to_json(const mode_descriptor& mode, nanos interval) const {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& k : knobs()) {
    if (mode.uses_knob(k.flag)) k.record(*this, interval, j);
  }
  return j;
}

void apply_tuning(const nlohmann::json& tuning, model_input& in) {
  if (!tuning.is_object()) return;
  in.backoff = tuning.value("backoff", in.backoff);
  in.max_interval_s = tuning.value("max_interval_ms", 0.0) / 1e3;
  in.batch_window_s = tuning.value("batch_window_ms", 0.0) / 1e3;
  in.batch_max = tuning.value("batch_max", 0.0);
  in.wait_s = tuning.value("wait_ms", 0.0) / 1e3;
}

void add_tuning_options(option_parser& p, mode_tuning& t) {
  for (const auto& k : knobs()) {
    p.add(k.flag, k.value_name, k.help, k.default_text,
          [&t, &k](std::string_view v) { k.parse(t, v); });
  }
}

void check_tuning_options(const option_parser& p, const mode_descriptor& mode) {
  for (const auto& k : knobs()) {
    if (!p.given(k.flag) || mode.uses_knob(k.flag)) continue;
    std::string owners;
    for (const auto& m : delivery_modes()) {
      if (m.uses_knob(k.flag)) owners += (owners.empty() ? "" : " or ") + m.name;
    }
    throw usage_error(std::string(k.flag) + ": applies to --mode " + owners + ", not " + mode.name);
  }
}

}  // namespace hookbench
