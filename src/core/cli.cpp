// Flag parsing and --help rendering for every subcommand.
#include "core/cli.hpp"

#include <algorithm>
#include <iostream>
#include <sstream>

namespace hookbench {

option_parser::option_parser(std::string command, std::string summary)
    : command_(std::move(command)), summary_(std::move(summary)) {}

option_parser& option_parser::add(std::string name, std::string value_name, std::string help,
                                  std::string default_text,
                                  std::function<void(std::string_view)> apply) {
  options_.push_back({std::move(name), std::move(value_name), std::move(help),
                      std::move(default_text), std::move(apply), nullptr, false});
  return *this;
}

option_parser& option_parser::add_switch(std::string name, std::string help,
                                         std::function<void()> apply) {
  options_.push_back({std::move(name), "", std::move(help), "", nullptr, std::move(apply), false});
  return *this;
}

option_parser& option_parser::add_section(std::string text) {
  option o;
  o.help = std::move(text);
  o.is_section = true;
  options_.push_back(std::move(o));
  return *this;
}

bool option_parser::parse(int argc, char** argv) {
  for (int i = 0; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::cout << help_text();
      return false;
    }
    if (!arg.starts_with("--")) {
      throw usage_error("unexpected argument '" + std::string(arg) + "' (see " + command_ +
                        " --help)");
    }
    std::string_view name = arg;
    std::string_view value;
    bool has_inline_value = false;
    if (auto eq = arg.find('='); eq != std::string_view::npos) {
      name = arg.substr(0, eq);
      value = arg.substr(eq + 1);
      has_inline_value = true;
    }
    auto it = std::find_if(options_.begin(), options_.end(),
                           [&](const option& o) { return !o.is_section && o.name == name; });
    if (it == options_.end()) {
      throw usage_error("unknown option " + std::string(name) + " (see " + command_ + " --help)");
    }
    given_.emplace_back(name);
    if (it->apply_switch) {
      if (has_inline_value) throw usage_error(std::string(name) + ": takes no value");
      it->apply_switch();
      continue;
    }
    if (!has_inline_value) {
      if (i + 1 >= argc) throw usage_error(std::string(name) + ": missing value " + it->value_name);
      value = argv[++i];
    }
    try {
      it->apply(value);
    } catch (const usage_error& e) {
      throw usage_error(std::string(name) + ": " + e.what());
    }
  }
  return true;
}

bool option_parser::given(std::string_view name) const {
  return std::find(given_.begin(), given_.end(), name) != given_.end();
}

std::string option_parser::help_text() const {
  std::ostringstream out;
  out << "usage: " << command_ << " [options]\n\n" << summary_ << "\n";
  for (const auto& o : options_) {
    if (o.is_section) {
      out << "\n" << o.help << "\n";
      continue;
    }
    std::string lhs = "  " + o.name + (o.value_name.empty() ? "" : " " + o.value_name);
    out << lhs;
    if (lhs.size() < 28) {
      out << std::string(28 - lhs.size(), ' ');
    } else {
      out << "\n" << std::string(28, ' ');
    }
    out << o.help;
    if (!o.default_text.empty()) out << " [default: " << o.default_text << "]";
    out << "\n";
  }
  out << "  --help                    show this help and exit\n";
  return out.str();
}

}  // namespace hookbench
