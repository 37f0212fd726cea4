// The names of an enum's values, as flags and JSON fields spell them: one table of
// {value, "name"} pairs gives both directions, and the "expected a, b or c, got 'x'" message that
// every option parser of an enum throws.
#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "core/parse.hpp"

namespace hookbench {

template <class E, std::size_t N>
class enum_names {
 public:
  using entry = std::pair<E, std::string_view>;

  constexpr explicit enum_names(const entry (&table)[N]) {
    for (std::size_t i = 0; i < N; ++i) table_[i] = table[i];
  }

  // "unknown" only for a value outside the table (cast from an integer).
  constexpr std::string_view name(E value) const {
    for (const auto& [v, n] : table_) {
      if (v == value) return n;
    }
    return "unknown";
  }

  constexpr std::optional<E> find(std::string_view text) const {
    for (const auto& [v, n] : table_) {
      if (n == text) return v;
    }
    return std::nullopt;
  }

  // The names in the table's order, `separator` between them.
  std::string joined(std::string_view separator) const {
    std::string names;
    for (std::size_t i = 0; i < N; ++i) {
      if (i > 0) names += separator;
      names += table_[i].second;
    }
    return names;
  }

  // "expected a, b or c, got 'text'": the names in the table's order.
  std::string expected(std::string_view got) const {
    std::string names;
    for (std::size_t i = 0; i < N; ++i) {
      if (i > 0) names += i + 1 == N ? " or " : ", ";
      names += table_[i].second;
    }
    return "expected " + names + ", got '" + std::string(got) + "'";
  }

  // Throws usage_error with expected()'s message.
  E parse(std::string_view text) const {
    if (auto v = find(text)) return *v;
    throw usage_error(expected(text));
  }

 private:
  std::array<entry, N> table_{};
};

// Deduces both the enum and the count: make_enum_names<E>({{E::a, "a"}, {E::b, "b"}}).
template <class E, std::size_t N>
constexpr enum_names<E, N> make_enum_names(const std::pair<E, std::string_view> (&table)[N]) {
  return enum_names<E, N>(table);
}

}  // namespace hookbench
