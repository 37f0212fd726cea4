// What --ordered costs: webhook deliveries per second, one subscriber, in seq order (one POST in
// flight, the head waits for its retries) against parallel delivery (--webhook-concurrency 4),
// to an in-process receiver that takes `service_us` per request (a timer, so it can serve
// several requests at once, as a real receiver with its own pool would), optionally failing the
// first attempt of every `fail_every`-th event with 503 (retried after 1 ms).
//
//   webhook_order/ordered:0/service_us:1000/fail_every:0   parallel, 1 ms receiver
//   webhook_order/ordered:1/service_us:1000/fail_every:0   ordered: ~1 / (RTT + service)
//   .../fail_every:50                                      retries on 2% of events
#include <benchmark/benchmark.h>

#include <boost/asio/steady_timer.hpp>
#include <memory>
#include <set>

#include "producer/webhook_dispatcher.hpp"
#include "support.hpp"

namespace hookbench {
namespace {

constexpr std::size_t kBatch = 200;  // events per iteration, published at once

void webhook_order(benchmark::State& state) {
  const bool ordered = state.range(0) != 0;
  const nanos service = state.range(1) * kNanosPerMicro;
  const auto fail_every = static_cast<std::uint64_t>(state.range(2));
  bench::io_thread receiver_thread;
  std::set<std::uint64_t> failed_once;  // receiver thread only
  http::server receiver(
      receiver_thread.ioc(), {"127.0.0.1", 0}, {}, [&](http::request&& req, http::reply_fn reply) {
        const std::string id = req.header("webhook-id");  // msg_<subscription>_<seq>
        const std::uint64_t seq = std::stoull(id.substr(id.rfind('_') + 1));
        const bool fail = fail_every > 0 && seq % fail_every == 0 && failed_once.insert(seq).second;
        auto timer = std::make_shared<boost::asio::steady_timer>(receiver_thread.ioc());
        timer->expires_after(std::chrono::nanoseconds(service));
        timer->async_wait([timer, reply, fail](boost::system::error_code) {
          reply(http::response(fail ? 503 : 204));
        });
      });
  try {
    receiver.start();
  } catch (const std::exception& e) {
    return state.SkipWithError(e.what());
  }
  const std::uint16_t port = receiver.port();
  receiver_thread.start();
  bench::scope_exit stop([&] { receiver_thread.stop(); });

  bench::net::io_context ioc;
  dispatcher_options options;
  options.concurrency = 4;
  options.timeout = bench::kRequestTimeout;
  options.signature = security::signature_scheme::hmac;  // ids are read from webhook-id
  parse_retry_policy("exponential:1ms,1,1ms,5", options.retry.policy);
  options.retry.policy.jitter = 0;
  options.retry.ordered = ordered;
  event_log log(1);
  const measurement_window window;
  planned_sequence plan;
  plan.window_first = 1;
  plan.window_last = plan.limit = 1'000'000'000;
  webhook_dispatcher dispatcher({ioc, log, window, plan, nullptr}, options);
  dispatcher.add_subscriber(http_url{host_port{"127.0.0.1", port}, "/hook/0"});
  event e{0, 0, std::string(256, 'x')};
  std::uint64_t delivered = 0;
  auto deliver_batch = [&]() -> bool {
    for (std::size_t i = 0; i < kBatch; ++i) {
      ++e.seq;
      dispatcher.publish(e);
    }
    delivered += kBatch;
    const nanos deadline = now_ns() + 10 * kNanosPerSecond;
    while (dispatcher.stats().delivered_total < delivered && now_ns() < deadline) {
      ioc.restart();
      ioc.run_for(std::chrono::milliseconds(1));
    }
    return dispatcher.stats().delivered_total == delivered && dispatcher.pending() == 0;
  };
  if (!deliver_batch()) return state.SkipWithError("warm-up batch not delivered");
  const auto before = dispatcher.stats();
  for (auto _ : state) {
    if (!deliver_batch()) {
      state.SkipWithError("batch not delivered in 10 s");
      break;
    }
  }
  const auto s = dispatcher.stats();
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * kBatch));  // deliveries
  state.counters["retries_per_event"] = benchmark::Counter(
      static_cast<double>(s.retry_total - before.retry_total) /
      static_cast<double>(std::max<std::int64_t>(1, state.iterations() * kBatch)));
}
BENCHMARK(webhook_order)
    ->ArgNames({"ordered", "service_us", "fail_every"})
    ->ArgsProduct({{0, 1}, {0, 1000}, {0, 50}})
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace hookbench
