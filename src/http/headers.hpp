// Header names as the rest of the code sees them: ASCII lower-case, looked up by exact match.
// The server and the client lower-case names as they read them, so lookups need no folding.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace hookbench::http {

using header_list = std::vector<std::pair<std::string, std::string>>;

// Lower-cases ASCII letters only: header names are tokens, and locale rules must not apply.
inline std::string to_lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// The first value of the header named `lower_name`, or empty when absent.
inline std::string find_header(const header_list& headers, std::string_view lower_name) {
  for (const auto& [k, v] : headers) {
    if (k == lower_name) return v;
  }
  return {};
}

// Adds "Authorization: Bearer <token>" (nothing when the token is empty).
inline void add_bearer(header_list& headers, const std::string& token) {
  if (!token.empty()) headers.emplace_back("Authorization", "Bearer " + token);
}

}  // namespace hookbench::http
