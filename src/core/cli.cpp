// Flag parsing and --help rendering for every subcommand.
#include "core/cli.hpp"

#include <algorithm>
#include <fstream>
#include <iostream>
#include <iterator>
#include <nlohmann/json.hpp>
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

option_parser& option_parser::add_duration(std::string name, std::string help,
                                           std::string default_text, nanos& target, nanos min,
                                           nanos max) {
  return add(
      std::move(name), "DURATION", std::move(help), std::move(default_text),
      [&target, min, max](std::string_view v) {
        const nanos d = parse_duration(v);
        if (max > 0 && (d < min || d > max)) {
          throw usage_error("must be from " + format_duration(min) + " to " + format_duration(max));
        }
        if (d < min) {
          throw usage_error(min == 1 ? std::string("must be greater than 0")
                                     : "must be at least " + format_duration(min));
        }
        target = d;
      });
}

option_parser& option_parser::add_text(std::string name, std::string value_name, std::string help,
                                       std::string& target) {
  return add(std::move(name), std::move(value_name), std::move(help), "",
             [&target](std::string_view v) { target = std::string(v); });
}

option_parser& option_parser::add_config_option() {
  return add(
      "--config", "FILE|-",
      "these options as one JSON document, keyed by their long names without\n"
      "                            the dashes ({\"rate\": 100, \"duration\": \"2s\"}); - reads\n"
      "                            it from stdin. Later flags override it",
      "", [this](std::string_view v) {
        const std::string source = v == "-" ? "stdin" : std::string(v);
        std::string text;
        if (v == "-") {
          text.assign(std::istreambuf_iterator<char>(std::cin), {});
        } else {
          std::ifstream in{std::string(v)};
          if (!in) throw usage_error("cannot read " + source);
          text.assign(std::istreambuf_iterator<char>(in), {});
        }
        const auto doc = nlohmann::json::parse(text, nullptr, false);
        if (doc.is_discarded() || !doc.is_object()) {
          throw usage_error(source + " is not a JSON object");
        }
        apply_json(doc, source);
      });
}

void option_parser::apply_json(const nlohmann::json& document, const std::string& source) {
  for (const auto& [key, value] : document.items()) {
    const std::string name = "--" + key;
    auto it = std::find_if(options_.begin(), options_.end(), [&](const option& o) {
      return !o.is_section && o.name == name && name != "--config";
    });
    if (it == options_.end()) {
      throw usage_error(source + ": no option " + name + " (see " + command_ + " --help)");
    }
    const std::string where = source + ": " + key + ": ";
    if (it->apply_switch) {
      if (!value.is_boolean()) throw usage_error(where + "a switch takes true or false");
      if (value.get<bool>()) {
        given_.push_back(name);
        it->apply_switch();
      }
      continue;
    }
    const auto items = value.is_array() ? value : nlohmann::json::array({value});
    for (const auto& item : items) {
      std::string text;
      if (item.is_string()) {
        text = item.get<std::string>();
      } else if (item.is_number()) {
        text = item.dump();
      } else {
        throw usage_error(where + "expected a string or a number, got " + item.dump());
      }
      given_.push_back(name);
      try {
        it->apply(text);
      } catch (const usage_error& e) {
        throw usage_error(where + e.what());
      }
    }
  }
}

std::vector<std::string> option_parser::names() const {
  std::vector<std::string> out;
  for (const auto& o : options_) {
    if (!o.is_section) out.push_back(o.name);
  }
  return out;
}

bool option_parser::parse(int argc, char** argv, std::string* positional) {
  for (int i = 0; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::cout << help_text();
      return false;
    }
    if (!arg.starts_with("--")) {
      if (positional && positional->empty() && !arg.empty() && !arg.starts_with("-")) {
        *positional = std::string(arg);
        continue;
      }
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
