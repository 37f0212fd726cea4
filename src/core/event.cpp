// JSON encoding of events. Encoding is hand-written (the producer's hot path); decoding uses
// nlohmann::json so malformed input is rejected by a real parser.
#include "core/event.hpp"

#include <charconv>
#include <nlohmann/json.hpp>

namespace hookbench {
namespace {

void append_number(std::string& out, std::uint64_t v) {
  char buf[24];
  auto [ptr, ec] = std::to_chars(buf, buf + sizeof buf, v);
  (void)ec;
  out.append(buf, ptr);
}

std::optional<event_stamp> stamp_from(const nlohmann::json& j, std::string& error) {
  if (!j.is_object()) {
    error = "event is not a JSON object";
    return std::nullopt;
  }
  auto id = j.find("id");
  auto t = j.find("t");
  auto payload = j.find("payload");
  if (id == j.end() || !id->is_number_unsigned() || t == j.end() || !t->is_number_integer() ||
      payload == j.end() || !payload->is_string()) {
    error = "event needs integer \"id\", integer \"t\" and string \"payload\"";
    return std::nullopt;
  }
  return event_stamp{id->get<seq_t>(), t->get<nanos>(),
                     payload->get_ref<const std::string&>().size()};
}

}  // namespace

std::string make_payload(std::size_t bytes, seq_t seq) {
  static constexpr char alphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  std::string p(bytes, 'x');
  for (std::size_t i = 0; i < bytes; ++i) p[i] = alphabet[(seq + i) % (sizeof alphabet - 1)];
  return p;
}

void append_event_json(std::string& out, const event& e) {
  out += "{\"id\":";
  append_number(out, e.seq);
  out += ",\"t\":";
  append_number(out, static_cast<std::uint64_t>(e.created_ns));
  out += ",\"payload\":\"";
  out += e.payload;  // make_payload never produces characters that need escaping
  out += "\"}";
}

std::string event_json(const event& e) {
  std::string out;
  out.reserve(e.payload.size() + 64);
  append_event_json(out, e);
  return out;
}

std::string batch_json(const std::vector<const event*>& events, seq_t next) {
  std::size_t size = 32;
  for (const auto* e : events) size += e->payload.size() + 64;
  std::string out;
  out.reserve(size);
  out += "{\"events\":[";
  for (std::size_t i = 0; i < events.size(); ++i) {
    if (i) out += ',';
    append_event_json(out, *events[i]);
  }
  out += "],\"next\":";
  append_number(out, next);
  out += '}';
  return out;
}

std::optional<event_stamp> parse_event_json(std::string_view body, std::string& error) {
  auto j = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) {
    error = "body is not valid JSON";
    return std::nullopt;
  }
  return stamp_from(j, error);
}

std::vector<event_stamp> parse_delivery_json(std::string_view body, std::string& error) {
  std::vector<event_stamp> stamps;
  if (body.starts_with("{\"events\"")) {
    if (auto b = parse_batch_json(body, error)) stamps = std::move(b->events);
  } else if (auto one = parse_event_json(body, error)) {
    stamps.push_back(*one);
  }
  if (stamps.empty() && error.empty()) error = "a batch with no events";
  return stamps;
}

seq_t oldest_retained(std::string_view body_410, seq_t cursor) {
  auto j = nlohmann::json::parse(body_410, nullptr, false);
  return j.is_object() && j.contains("oldest") && j["oldest"].is_number_unsigned()
             ? j["oldest"].get<seq_t>()
             : cursor + 1;
}

std::optional<event_batch> parse_batch_json(std::string_view body, std::string& error) {
  auto j = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    error = "poll response is not a JSON object";
    return std::nullopt;
  }
  auto events = j.find("events");
  auto next = j.find("next");
  if (events == j.end() || !events->is_array() || next == j.end() || !next->is_number_unsigned()) {
    error = "poll response needs an \"events\" array and an integer \"next\"";
    return std::nullopt;
  }
  event_batch batch;
  batch.next = next->get<seq_t>();
  batch.events.reserve(events->size());
  for (const auto& item : *events) {
    auto stamp = stamp_from(item, error);
    if (!stamp) return std::nullopt;
    batch.events.push_back(*stamp);
  }
  return batch;
}

}  // namespace hookbench
