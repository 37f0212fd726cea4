// The consumer's name -> strategy map: which class carries out each mode, on each stack. Adding
// a mode is one descriptor (modes/mode.cpp), one line here and its strategy's file pair.
#include <functional>
#include <map>
#include <string>

#include "consumer/delivery_mode.hpp"
#include "consumer/httplib_stack.hpp"
#include "consumer/long_poll_mode.hpp"
#include "consumer/poll_mode.hpp"
#include "consumer/sse_mode.hpp"
#include "consumer/webhook_mode.hpp"
#include "consumer/ws_mode.hpp"

namespace hookbench {

namespace {

using factory = std::function<std::unique_ptr<delivery_mode>(mode_context&)>;

struct strategy {
  factory beast;
  factory httplib;  // both cpp-httplib stacks (the settings differ: httplib_stack.cpp); or none
};

template <class Mode, class... Args>
factory make(Args... args) {
  return [=](mode_context& ctx) { return std::make_unique<Mode>(ctx, args...); };
}

const std::map<std::string, strategy, std::less<>>& strategies() {
  static const std::map<std::string, strategy, std::less<>> map = {
      {"poll", {make<poll_mode>(poll_flavour{false, false}), make<httplib_poll_mode>()}},
      {"poll-conditional", {make<poll_mode>(poll_flavour{true, false}), nullptr}},
      {"poll-adaptive", {make<poll_mode>(poll_flavour{false, true}), nullptr}},
      {"long-poll", {make<long_poll_mode>(), nullptr}},
      {"sse", {make<sse_mode>(), nullptr}},
      {"websocket", {make<ws_mode>(), nullptr}},
      {"webhook", {make<webhook_mode>(false), make<httplib_webhook_mode>()}},
      {"webhook-batch", {make<webhook_mode>(true), nullptr}},
  };
  return map;
}

}  // namespace

std::unique_ptr<delivery_mode> make_strategy(const mode_descriptor& mode, mode_context& ctx) {
  check_consumer_stack(ctx.config.stack, mode);
  const auto it = strategies().find(mode.name);
  if (it == strategies().end()) {
    throw std::logic_error("the consumer has no strategy for --mode " + mode.name);
  }
  const factory& f = ctx.config.stack == "beast" ? it->second.beast : it->second.httplib;
  if (!f) throw std::logic_error("no " + ctx.config.stack + " strategy for --mode " + mode.name);
  return f(ctx);
}

}  // namespace hookbench
