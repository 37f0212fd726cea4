// Trace recording (one bounded buffer per side) and the orchestrator's merge of both parts.
#include "measure/trace.hpp"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <stdexcept>

namespace hookbench {

trace_recorder::trace_recorder(const measurement_window& window, std::size_t limit)
    : window_(window), limit_(limit) {
  // Reserved up front so recording on the hot path never reallocates a large buffer.
  records_.reserve(std::min<std::size_t>(limit_, 8192));
}

void trace_recorder::add(const record& r) {
  // Before the window is known everything is kept; once known, only what falls inside it.
  if (window_.known() && !window_.contains(r.t)) return;
  if (records_.size() >= limit_) {
    ++dropped_;
    return;
  }
  records_.push_back(r);
}

void trace_recorder::created(nanos scheduled_ns, seq_t seq) {
  add({kind::created, 0, scheduled_ns, 0, seq});
}

void trace_recorder::poll(nanos sent_ns, nanos answered_ns, std::size_t subscriber,
                          std::size_t events) {
  add({kind::poll, static_cast<std::uint32_t>(subscriber), answered_ns, sent_ns, events});
}

void trace_recorder::webhook_post(nanos sent_ns, seq_t seq, std::size_t subscriber) {
  add({kind::webhook_post, static_cast<std::uint32_t>(subscriber), sent_ns, 0, seq});
}

void trace_recorder::delivered(nanos parsed_ns, seq_t seq, std::size_t subscriber,
                               nanos latency_ns) {
  add({kind::delivered, static_cast<std::uint32_t>(subscriber), parsed_ns, latency_ns, seq});
}

bool trace_recorder::write(const std::string& path, const std::string& side) const {
  std::ofstream out(path, std::ios::trunc);
  if (!out) return false;
  const nanos origin = window_.start_ns;
  std::size_t kept = 0;
  for (const auto& r : records_) kept += window_.contains(r.t) ? 1 : 0;
  out << nlohmann::json{{"kind", "part"}, {"side", side}, {"records", kept}, {"dropped", dropped_}}
             .dump()
      << "\n";
  // Microsecond resolution in milliseconds: finer than anything a timeline chart can show.
  auto ms = [origin](nanos t) { return static_cast<double>(t - origin) / 1e6; };
  char line[192];
  for (const auto& r : records_) {
    if (!window_.contains(r.t)) continue;
    int n = 0;
    switch (r.what) {
      case kind::created:
        n = std::snprintf(line, sizeof line, "{\"kind\":\"created\",\"t_ms\":%.3f,\"seq\":%llu}\n",
                          ms(r.t), static_cast<unsigned long long>(r.n));
        break;
      case kind::poll:
        n = std::snprintf(line, sizeof line,
                          "{\"kind\":\"poll\",\"t_ms\":%.3f,\"sent_ms\":%.3f,\"sub\":%u,"
                          "\"events\":%llu}\n",
                          ms(r.t), ms(r.extra), r.subscriber, static_cast<unsigned long long>(r.n));
        break;
      case kind::webhook_post:
        n = std::snprintf(line, sizeof line,
                          "{\"kind\":\"webhook_post\",\"t_ms\":%.3f,\"seq\":%llu,\"sub\":%u}\n",
                          ms(r.t), static_cast<unsigned long long>(r.n), r.subscriber);
        break;
      case kind::delivered:
        n = std::snprintf(line, sizeof line,
                          "{\"kind\":\"delivered\",\"t_ms\":%.3f,\"seq\":%llu,\"sub\":%u,"
                          "\"latency_ms\":%.3f}\n",
                          ms(r.t), static_cast<unsigned long long>(r.n), r.subscriber,
                          static_cast<double>(r.extra) / 1e6);
        break;
    }
    if (n > 0)
      out.write(line, std::min<std::streamsize>(n, static_cast<std::streamsize>(sizeof line) - 1));
  }
  out.close();
  return static_cast<bool>(out);
}

void merge_trace(const trace_header& header, const std::vector<std::string>& part_paths,
                 const std::string& out_path) {
  struct line {
    double t_ms;
    std::string text;
  };
  std::vector<line> lines;
  std::uint64_t dropped = 0;
  for (const auto& path : part_paths) {
    std::ifstream in(path);
    if (!in) throw std::runtime_error("trace: cannot read the part " + path);
    std::string text;
    while (std::getline(in, text)) {
      auto j = nlohmann::json::parse(text, nullptr, false);
      if (!j.is_object()) throw std::runtime_error("trace: malformed line in " + path);
      if (j.value("kind", "") == "part") {
        dropped += j.value("dropped", std::uint64_t{0});
        continue;
      }
      lines.push_back({j.value("t_ms", 0.0), std::move(text)});
    }
  }
  std::stable_sort(lines.begin(), lines.end(),
                   [](const line& a, const line& b) { return a.t_ms < b.t_ms; });
  nlohmann::ordered_json h{{"kind", "header"},
                           {"mode", header.mode},
                           {"rate", header.rate},
                           {"interval_ms", header.pull ? nlohmann::ordered_json(header.interval_ms)
                                                       : nlohmann::ordered_json(nullptr)},
                           {"subscribers", header.subscribers},
                           {"duration_s", header.duration_s},
                           {"records", lines.size()},
                           {"dropped", dropped}};
  std::ofstream out(out_path, std::ios::trunc);
  if (!out) throw std::runtime_error("trace: cannot write " + out_path);
  out << h.dump() << "\n";
  for (const auto& l : lines) out << l.text << "\n";
  out.close();
  if (!out) throw std::runtime_error("trace: cannot write " + out_path);
}

}  // namespace hookbench
