// A small declarative flag parser: each subcommand lists its options once, and the same list
// produces --help, parses "--flag value" / "--flag=value", and names the flag in every error.
// The same options may come as one JSON document (--config FILE|-): an object whose keys are
// the long option names without their dashes, read through the very same parsers, so a value
// is refused there exactly as on the command line.
#pragma once

#include <cstdint>
#include <functional>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

#include "core/clock.hpp"
#include "core/parse.hpp"

namespace hookbench {

class option_parser {
 public:
  option_parser(std::string command, std::string summary);

  // `apply` receives the value text and may throw usage_error; the flag name is prepended.
  option_parser& add(std::string name, std::string value_name, std::string help,
                     std::string default_text, std::function<void(std::string_view)> apply);
  // A flag without a value.
  option_parser& add_switch(std::string name, std::string help, std::function<void()> apply);
  option_parser& add_section(std::string text);
  // Typed options, their checks written once: a duration of at least `min` (and at most `max`
  // when given; "must be greater than 0" for min = 1 ns), a whole number from `min` to `max`,
  // a text taken as it is.
  option_parser& add_duration(std::string name, std::string help, std::string default_text,
                              nanos& target, nanos min = 0, nanos max = 0);
  template <class Int>
  option_parser& add_count(std::string name, std::string value_name, std::string help,
                           std::string default_text, Int& target, std::int64_t min,
                           std::int64_t max) {
    return add(std::move(name), std::move(value_name), std::move(help), std::move(default_text),
               [&target, min, max](std::string_view v) {
                 target = static_cast<Int>(parse_int(v, min, max));
               });
  }
  option_parser& add_text(std::string name, std::string value_name, std::string help,
                          std::string& target);
  // Adds --config FILE|-: the options as one JSON document (a file, or - for stdin), applied
  // where it stands among the flags (later flags override it). Secrets (tokens) stay in the
  // environment: a document holds none.
  option_parser& add_config_option();
  // Applies a document as --config does: {"rate": 100, "duration": "2s", "tls": true,
  // "token": ["a", "b"]} is --rate 100 --duration 2s --tls --token a --token b. A number is
  // given as written, a switch as true (false: left out), a repeated option as an array. Throws
  // usage_error naming `source` and the key.
  void apply_json(const nlohmann::json& document, const std::string& source);

  // Returns false when --help was printed (caller exits 0). Throws usage_error otherwise.
  // With `positional`, one argument that is not an option (nor an option's value) goes there.
  bool parse(int argc, char** argv, std::string* positional = nullptr);
  // True when the user gave this flag explicitly.
  bool given(std::string_view name) const;
  // Every option's long name, dashes included, in the order added.
  std::vector<std::string> names() const;
  std::string help_text() const;
  const std::string& command() const { return command_; }

 private:
  struct option {
    std::string name, value_name, help, default_text;
    std::function<void(std::string_view)> apply;
    std::function<void()> apply_switch;
    bool is_section = false;
  };
  std::string command_, summary_;
  std::vector<option> options_;
  std::vector<std::string> given_;
};

}  // namespace hookbench
