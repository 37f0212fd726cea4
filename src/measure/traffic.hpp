// Requests and their bytes by kind ("poll", "webhook_post", "sse_connect", ...). Each side
// reports the kinds of request it sent itself, so a result's total is the sum over both sides'
// maps: a new mode adds a kind and no total can miss it.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "measure/window.hpp"

namespace hookbench {

using traffic_by_kind = std::map<std::string, traffic_counter, std::less<>>;

inline nlohmann::json to_json(const traffic_by_kind& kinds) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [kind, t] : kinds) {
    j[kind] = {
        {"count", t.requests}, {"bytes_sent", t.bytes_sent}, {"bytes_received", t.bytes_received}};
  }
  return j;
}

}  // namespace hookbench
