// One delivery end to end through the harness's real sides, on 127.0.0.1:
//
//   delivery_poll/events:K
//       GET /events?after=CURSOR to a real in-process hookbench::producer (its routes, event log
//       and observer), answered with K events of 256 B (K = 0: the empty poll that 98.5% of
//       Zapier's polls were), plus the poller's parse of the batch
//   delivery_webhook/keepalive|new_connection/payload:N
//       webhook_dispatcher::publish of one event (encode, queue, POST) to the consumer's real
//       webhook receiver (webhook_mode: parse, delivery_tracker record, 204), until the
//       dispatcher has the answer
// The serving side runs on its own thread, like the other process would.
#include <benchmark/benchmark.h>

#include <limits>
#include <nlohmann/json.hpp>
#include <string>

#include "consumer/webhook_mode.hpp"
#include "producer/producer.hpp"
#include "support.hpp"

namespace {

using namespace hookbench;
namespace bench = hookbench::bench;

constexpr int kWarmup = 20;
constexpr std::size_t kPayload = 256;

// The poll path includes the producer's bearer-token check, as in every real run.
const std::string kBenchToken = "hookbench-bench-token";

http::client_request authed_get(std::string target) {
  auto req = bench::get_request(std::move(target));
  http::add_bearer(req.headers, kBenchToken);
  return req;
}

producer_config loopback_producer() {
  producer_config c;
  c.access.tokens = {kBenchToken};
  c.listen = {"127.0.0.1", 0};
  c.generation.arrivals = arrival_kind::constant;
  c.generation.payload_bytes = kPayload;
  c.generation.warmup = 0;
  c.generation.tail = 0;  // the log must stand still once the window's events are generated
  return c;
}

void delivery_poll(benchmark::State& state) {
  const auto k = static_cast<seq_t>(state.range(0));
  // 2000 events generated in the first 10 ms, then the log stands still while we poll it.
  auto config = loopback_producer();
  config.generation.rate = 200'000;
  config.generation.duration = 10 * kNanosPerMilli;
  config.autostart = true;
  bench::io_thread server_thread;
  producer prod(server_thread.ioc(), config);
  prod.start();
  server_thread.start();
  bench::scope_exit stop([&] { server_thread.stop(); });

  bench::net::io_context ioc;
  http::client_options options;
  options.timeout = bench::kRequestTimeout;
  http::client_connection conn(ioc, host_port{"127.0.0.1", prod.port()}, options);

  // Ready = generation finished: the producer says so and names the last sequence number.
  seq_t last = 0;
  std::string why = "producer did not finish generating";
  const bool ready = bench::retry_until([&] {
    http::client_response r;
    auto ec = bench::round_trip(ioc, conn, authed_get("/control/window"), r);
    if (ec || r.status != 200) {
      why = bench::failure("GET /control/window", ec, r);
      return false;
    }
    auto j = nlohmann::json::parse(r.body, nullptr, false);
    if (!j.is_object() || !j.value("finished", false)) return false;
    last = j.value("last_seq", seq_t{0});
    return true;
  });
  if (!ready || last < k) return state.SkipWithError(why.c_str());

  const std::string target = "/events?after=" + std::to_string(last - k) + "&limit=1000";
  std::string error;
  auto poll = [&](http::client_response& r) -> bool {
    auto ec = bench::round_trip(ioc, conn, authed_get(target), r);
    if (ec || r.status != 200) {
      error = bench::failure("GET " + target, ec, r);
      return false;
    }
    auto batch = parse_batch_json(r.body, error);
    if (!batch || batch->events.size() != k || batch->next != last) {
      error = "poll returned " + (batch ? std::to_string(batch->events.size()) : error) +
              " events, expected " + std::to_string(k);
      return false;
    }
    benchmark::DoNotOptimize(batch);
    return true;
  };
  for (int i = 0; i < kWarmup; ++i) {
    http::client_response r;
    if (!poll(r)) return state.SkipWithError(("warm-up: " + error).c_str());
  }
  std::size_t bytes = 0;
  for (auto _ : state) {
    http::client_response r;
    if (!poll(r)) {
      state.SkipWithError(error.c_str());
      break;
    }
    bytes += r.bytes_sent + r.bytes_received;
  }
  state.SetItemsProcessed(state.iterations());  // polls
  state.SetBytesProcessed(static_cast<std::int64_t>(bytes));
}
BENCHMARK(delivery_poll)
    ->ArgName("events")
    ->Arg(0)
    ->Arg(1)
    ->Arg(10)
    ->Arg(100)
    ->Arg(1000)
    ->UseRealTime()
    ->Unit(benchmark::kMicrosecond);

void delivery_webhook(benchmark::State& state, connection_policy policy) {
  const auto payload_bytes = static_cast<std::size_t>(state.range(0));
  // The receiver registers with a real producer, exactly as `hookbench client` does; that
  // producer generates nothing, the events are published here by our own dispatcher.
  bench::io_thread producer_thread, receiver_thread;
  producer prod(producer_thread.ioc(), loopback_producer());
  prod.start();
  producer_thread.start();

  consumer_config cc;
  cc.producer = http_url{host_port{"127.0.0.1", prod.port()}, "/events"};
  cc.mode = "webhook";
  cc.subscribers = 1;
  cc.listen = {"127.0.0.1", 0};
  cc.request_timeout = bench::kRequestTimeout;
  cc.token = kBenchToken;
  // Unsigned: this dispatcher is not the producer the receiver registered with, so it does not
  // hold the subscription's secret. sign_bench.cpp measures signing and verifying on their own.
  cc.signature = security::signature_scheme::none;
  delivery_tracker tracker(1);
  // Every id this benchmark sends is a window event (32 MiB of slots, far more than it sends).
  constexpr seq_t kWindowIds = seq_t{1} << 22;
  tracker.set_window(1, kWindowIds, kWindowIds);
  // A window spanning all time, so both sides do their per-request traffic accounting (part of
  // the real work) and the dispatcher counts the wire bytes for us.
  const measurement_window always{1, std::numeric_limits<nanos>::max()};
  mode_context ctx{receiver_thread.ioc(), cc, tracker, always};
  webhook_mode receiver(ctx);
  try {
    receiver.setup();  // binds, then POST /subscriptions to the producer (blocking)
  } catch (const std::exception& e) {
    producer_thread.stop();
    return state.SkipWithError(e.what());
  }
  const std::uint16_t receiver_port = receiver.receiver_port();
  receiver_thread.start();
  bench::scope_exit stop([&] {
    receiver_thread.stop();
    producer_thread.stop();
  });

  bench::net::io_context ioc;
  dispatcher_options options;
  options.connections = policy;
  options.concurrency = 1;
  options.timeout = bench::kRequestTimeout;
  options.signature = security::signature_scheme::none;
  // Each delivery runs the io_context until it has no work left: no idle-connection timer.
  options.idle_timeout = 0;
  event_log log(1);
  const measurement_window window;
  planned_sequence plan;
  plan.window_first = 1;
  plan.window_last = plan.limit = kWindowIds;
  webhook_dispatcher dispatcher({ioc, log, window, plan, nullptr}, options);
  dispatcher.add_subscriber(http_url{host_port{"127.0.0.1", receiver_port}, "/hook/0"});

  event e{0, 0, make_payload(payload_bytes, 1)};
  auto deliver = [&]() -> bool {
    ++e.seq;
    e.created_ns = now_ns();
    dispatcher.publish(e);
    ioc.restart();
    ioc.run_for(std::chrono::nanoseconds(bench::kRequestTimeout + kNanosPerSecond));
    return dispatcher.pending() == 0 && dispatcher.stats().delivered_total == e.seq;
  };
  auto why = [&] {
    const auto s = dispatcher.stats();
    return "webhook " + std::to_string(e.seq) + " not delivered: pending " +
           std::to_string(dispatcher.pending()) + ", non-2xx " + std::to_string(s.non_2xx) +
           ", errors " + std::to_string(s.errors) + ", timeouts " + std::to_string(s.timeouts);
  };
  for (int i = 0; i < kWarmup; ++i) {
    if (!deliver()) return state.SkipWithError(("warm-up: " + why()).c_str());
  }
  const auto before = dispatcher.stats();
  for (auto _ : state) {
    if (!deliver()) {
      state.SkipWithError(why().c_str());
      break;
    }
  }
  const auto s = dispatcher.stats();
  // Every POST must have done the receiver's work, and the policy must have held.
  receiver_thread.stop();
  const auto opened = s.connections_opened - before.connections_opened;
  const auto expected_opened =
      policy == connection_policy::keepalive ? 0 : static_cast<std::uint64_t>(state.iterations());
  if (!state.error_occurred()) {
    if (tracker.received_total() != e.seq) {
      state.SkipWithError("receiver recorded fewer webhooks than the dispatcher delivered");
    } else if (opened != expected_opened) {
      state.SkipWithError(("opened " + std::to_string(opened) + " connections, expected " +
                           std::to_string(expected_opened))
                              .c_str());
    }
  }
  state.SetItemsProcessed(state.iterations());  // webhooks
  state.SetBytesProcessed(static_cast<std::int64_t>(s.window.bytes_sent + s.window.bytes_received -
                                                    before.window.bytes_sent -
                                                    before.window.bytes_received));
}
BENCHMARK_CAPTURE(delivery_webhook, keepalive, connection_policy::keepalive)
    ->ArgName("payload")
    ->Arg(256)
    ->Arg(4096)
    ->UseRealTime()
    ->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(delivery_webhook, new_connection, connection_policy::fresh)
    ->ArgName("payload")
    ->Arg(256)
    ->UseRealTime()
    ->Unit(benchmark::kMicrosecond);

}  // namespace
