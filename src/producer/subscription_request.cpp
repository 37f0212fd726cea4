// The checks of a POST /subscriptions body, one refusal reason per field.
#include "producer/subscription_request.hpp"

#include <nlohmann/json.hpp>
#include <stdexcept>

#include "http/headers.hpp"

namespace hookbench {
namespace {

// "application/json", any case, optionally with parameters ("; charset=utf-8").
bool is_json_type(std::string_view type) {
  const auto media = type.substr(0, type.find(';'));
  const auto end = media.find_last_not_of(" \t");
  return end != std::string_view::npos &&
         http::to_lower(media.substr(0, end + 1)) == "application/json";
}

// What the caller sent, quoted in a reason: at most 80 bytes, each non-printable one as '?', so
// that a reason stays one line.
std::string printable(std::string_view text) {
  std::string out(text.substr(0, 80));
  for (auto& c : out) {
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f) c = '?';
  }
  return out;
}

parsed_subscription refuse(unsigned status, std::string error) {
  return {std::nullopt, status, std::move(error)};
}

}  // namespace

parsed_subscription parse_subscription(std::string_view content_type, std::string_view body) {
  // JSON only; a request that names no type is read as JSON too (curl -d sends a form type, so
  // that one is refused with a reason rather than misread).
  if (!content_type.empty() && !is_json_type(content_type)) {
    return refuse(
        415, "POST /subscriptions takes application/json, got '" + printable(content_type) + "'");
  }
  const auto j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return refuse(400, "body is not a JSON object");
  const auto url = j.find("url");
  if (url == j.end() || !url->is_string()) return refuse(400, "body needs a string \"url\"");
  subscription_request out;
  if (auto w = j.find("batch_window_ms"); w != j.end()) {
    if (!w->is_number() || !(w->get<double>() >= 1 && w->get<double>() <= 60'000)) {
      return refuse(400, "batch_window_ms must be a number from 1 to 60000");
    }
    out.batch.window = static_cast<nanos>(w->get<double>() * kNanosPerMilli);
    out.batch.max = 100;
  }
  if (auto m = j.find("batch_max"); m != j.end()) {
    if (!m->is_number_unsigned() || m->get<std::uint64_t>() < 1 ||
        m->get<std::uint64_t>() > 10'000) {
      return refuse(400, "batch_max must be an integer from 1 to 10000");
    }
    out.batch.max = m->get<std::size_t>();
  }
  if (auto sec = j.find("secret"); sec != j.end()) {
    if (!sec->is_string()) return refuse(400, "secret must be a string \"whsec_...\"");
    try {
      out.secret = security::webhook_secret::parse(sec->get<std::string>());
    } catch (const std::invalid_argument& e) {
      return refuse(400, std::string("secret: ") + e.what());
    }
  }
  try {
    out.url = parse_http_url(url->get<std::string>());
  } catch (const usage_error& e) {
    return refuse(400, std::string("url: ") + e.what());
  }
  return {std::move(out), 0, {}};
}

}  // namespace hookbench
