// A small declarative flag parser: each subcommand lists its options once, and the same list
// produces --help, parses "--flag value" / "--flag=value", and names the flag in every error.
#pragma once

#include <functional>
#include <string>
#include <vector>

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

  // Returns false when --help was printed (caller exits 0). Throws usage_error otherwise.
  bool parse(int argc, char** argv);
  // True when the user gave this flag explicitly.
  bool given(std::string_view name) const;
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
