// Producer routes and its measurements.
#include "producer/producer.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <boost/asio/post.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "core/private_files.hpp"
#include "measure/latency.hpp"

namespace hookbench {
namespace {

constexpr nanos kSamplePeriod = 100 * kNanosPerMilli;

// The schedule a state directory belongs to: a resumed producer must follow the same one.
nlohmann::json schedule_json(const generator_config& g) {
  return {{"rate", g.rate},        {"arrivals", to_string(g.arrivals)},
          {"seed", g.seed},        {"payload_bytes", g.payload_bytes},
          {"warmup_ns", g.warmup}, {"duration_ns", g.duration},
          {"tail_ns", g.tail}};
}

// Written to a temporary file, flushed, renamed over the old one: a crash leaves either.
std::string write_atomically(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp";
  const int fd = create_private_file(tmp);
  if (fd < 0) return "cannot write " + tmp;
  bool ok = write_all(fd, text);
  ok = ::fsync(fd) == 0 && ok;
  ::close(fd);
  std::error_code ec;
  if (ok) std::filesystem::rename(tmp, path, ec);
  if (!ok || ec) return "cannot write " + path;
  const std::string dir = std::filesystem::path(path).parent_path().string();
  if (const int dfd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_CLOEXEC); dfd >= 0) {
    ::fsync(dfd);  // the rename itself
    ::close(dfd);
  }
  return {};
}

}  // namespace

nlohmann::json producer_config::to_json() const {
  return {{"listen", listen.to_string()},
          {"rate", generation.rate},
          {"arrivals", to_string(generation.arrivals)},
          {"seed", generation.seed},
          {"payload_bytes", generation.payload_bytes},
          {"warmup_s", to_s(generation.warmup)},
          {"duration_s", to_s(generation.duration)},
          {"tail_s", to_s(generation.tail)},
          {"timer", generation.spin > 0 ? "spin" : "sleep"},
          {"retention", retention},
          {"webhook_connection", to_string(webhooks.connections)},
          {"webhook_concurrency", webhooks.concurrency},
          {"webhook_signature", security::to_string(webhooks.signature)},
          {"webhook_timeout_s", to_s(webhooks.timeout)},
          {"webhook_idle_timeout_s", to_s(webhooks.idle_timeout)},
          {"webhook_retry", webhooks.retry.to_json()},
          {"stream_heartbeat_s", to_s(streams.heartbeat)},
          {"stream_lifetime_s", to_s(streams.lifetime)},
          // The tokens themselves stay out of results.
          {"auth",
           {{"api_tokens", access.tokens.empty() ? 1 : access.tokens.size()},
            {"allow_hosts", access.allow_hosts},
            {"max_subscriptions", caps.subscriptions.per_token}}},
          {"caps", caps.to_json()},
          {"tls", !tls_cert.empty()},
          {"fsync", state_dir.empty() ? nlohmann::json(nullptr)
                                      : nlohmann::json(to_string(durability.policy))},
          {"fsync_interval_ms", to_ms(durability.interval)}};
}

nlohmann::json producer_config::to_document() const {
  const auto& g = generation;
  std::string hosts;
  for (const auto& h : access.allow_hosts) hosts += (hosts.empty() ? "" : ",") + h;
  char rate[32];
  std::snprintf(rate, sizeof rate, "%.17g", g.rate);
  nlohmann::json d{{"listen", listen.to_string()},
                   {"rate", rate},
                   {"arrivals", to_string(g.arrivals)},
                   {"seed", g.seed},
                   {"payload", g.payload_bytes},
                   {"warmup", exact_duration(g.warmup)},
                   {"duration", exact_duration(g.duration)},
                   {"tail", exact_duration(g.tail)},
                   {"timer", g.spin > 0 ? "spin" : "sleep"},
                   {"retention", retention},
                   {"request-timeout", exact_duration(request_timeout)},
                   {"max-connections", max_connections},
                   {"max-connections-per-address", max_connections_per_address},
                   {"first-request-timeout", exact_duration(first_request_timeout)},
                   {"webhook-connection", to_string(webhooks.connections)},
                   {"webhook-concurrency", webhooks.concurrency},
                   {"signature", security::to_string(webhooks.signature)},
                   {"webhook-timeout", exact_duration(webhooks.timeout)},
                   {"webhook-queue", webhooks.queue_limit},
                   {"webhook-idle-timeout", exact_duration(webhooks.idle_timeout)},
                   {"stream-heartbeat", exact_duration(streams.heartbeat)},
                   {"stream-lifetime", exact_duration(streams.lifetime)},
                   {"autostart", autostart},
                   {"resume", resume}};
  caps.to_document(d);
  if (!hosts.empty()) d["allow-hosts"] = hosts;
  for (auto [key, value] : {std::pair{"tls-cert", &tls_cert},
                            {"tls-key", &tls_key},
                            {"tls-ca", &tls_ca},
                            {"trace", &trace_path},
                            {"state-dir", &state_dir}}) {
    if (!value->empty()) d[key] = *value;
  }
  if (!state_dir.empty()) {
    d["fsync"] = to_string(durability.policy);
    d["fsync-interval"] = exact_duration(durability.interval);
  }
  d.update(webhooks.retry.to_document());
  return d;
}

producer::producer(boost::asio::io_context& ioc, producer_config config)
    : ioc_(ioc),
      config_(std::move(config)),
      access_(config_.access),
      holdings_(std::make_shared<holdings>(config_.caps)),
      log_(config_.retention),
      generator_(ioc, config_.generation, log_,
                 [this](const event& e) {
                   if (trace_) trace_->created(e.created_ns, e.seq);
                   for (auto& d : deliveries_) d->on_event(e);
                 }),
      server_(
          ioc, config_.listen,
          http::server_options{
              .body_limit = config_.body_limit,
              .first_request_timeout = config_.first_request_timeout,
              .server_name = "hookbench-producer",
              .tls = config_.tls_cert.empty()
                         ? nullptr
                         : http::make_server_tls(config_.tls_cert, config_.tls_key),
              .request_timeout = config_.request_timeout,
              .max_connections = config_.max_connections,
              .max_connections_per_address = config_.max_connections_per_address},
          [this](http::request&& req, http::reply_fn reply) {
            handle(std::move(req), std::move(reply));
          },
          [this](const http::exchange& x) { observe(x); }),
      sampler_(ioc),
      window_timer_(ioc) {
  if (!config_.state_dir.empty()) {
    // Before the deliveries: the dispatcher restores from the loaded log in its constructor.
    namespace fs = std::filesystem;
    const std::string& dir = config_.state_dir;
    const std::string state_path = dir + "/producer.json", log_path = dir + "/events.log";
    std::error_code ec;
    try {
      make_private_dir(dir);  // 0700: it holds the signing key and the subscriptions' secrets
    } catch (const std::runtime_error& e) {
      throw std::runtime_error(std::string("--state-dir: ") + e.what());
    }
    // A run killed while it rewrote a file leaves its .tmp: the old file is whole, so the
    // half-written copy is removed, and said.
    for (const auto& stale : remove_stale_temp_files(dir)) {
      std::cerr << "hookbench serve: removed " << stale
                << ", left half-written by a run that was killed\n";
    }
    const bool has_state = fs::exists(state_path);
    const bool has_log = fs::exists(log_path) && fs::file_size(log_path, ec) > 0;
    if (config_.resume) {
      if (!has_state) {
        throw std::runtime_error("--resume: " + state_path + " not found (nothing to resume)");
      }
      std::ifstream in(state_path);
      const auto state = nlohmann::json::parse(in, nullptr, false);
      if (!state.is_object() || !state.contains("schedule")) {
        throw std::runtime_error("--resume: " + state_path + " is not a producer state file");
      }
      const auto here = schedule_json(config_.generation);
      const auto& saved = state.at("schedule");
      for (const auto& item : here.items()) {
        const auto there = saved.value(item.key(), nlohmann::json());
        if (there != item.value()) {
          throw std::runtime_error("--resume: " + state_path + " was written for " + item.key() +
                                   " " + there.dump() + ", this producer has " +
                                   item.value().dump());
        }
      }
      // Whole numbers only: a float such as 1e300 converted to an integer is undefined.
      const auto whole = [&](const char* key) {
        return state.contains(key) && state[key].is_number_integer();
      };
      resume_t0_ = whole("t0_ns") ? state["t0_ns"].get<nanos>() : 0;
      restarts_ = (whole("restarts") ? state["restarts"].get<std::uint64_t>() : 0) + 1;
      if (state.contains("idle_cores") && state["idle_cores"].is_number()) {
        idle_cores_ = state["idle_cores"].get<double>();
      }
    } else if (has_state || has_log) {
      throw std::runtime_error("--state-dir " + dir +
                               " holds an earlier run's state: --resume to continue it, or give "
                               "an empty directory");
    }
    log_.attach(log_path, config_.durability);
    config_.webhooks.state_path = dir + "/webhooks.json";
  }
  if (!config_.trace_path.empty()) {
    trace_ = std::make_unique<trace_recorder>(generator_.window());
  }
  if (!config_.tls_ca.empty()) config_.webhooks.tls = http::make_client_tls(config_.tls_ca);
  const delivery_context ctx{ioc_,         log_,     generator_.window(), generator_.plan(),
                             trace_.get(), &access_, holdings_.get()};
  deliveries_.push_back(std::make_unique<poll_endpoint>(ctx, config_.polls));
  deliveries_.push_back(std::make_unique<webhook_dispatcher>(ctx, config_.webhooks));
  deliveries_.push_back(std::make_unique<sse_endpoint>(ctx, config_.streams));
  deliveries_.push_back(std::make_unique<ws_endpoint>(ctx, config_.streams));
}

void producer::start() {
  server_.start();
  rss_idle_ = current_rss_bytes();  // before any subscriber
  rss_max_ = rss_idle_;
  arm_sampler();
  if (resume_t0_ > 0) {
    // The same schedule from the same t0 (CLOCK_MONOTONIC is system-wide: a new process on this
    // host reads the same clock), past the events the file gave back.
    const seq_t done = log_.last_seq();
    if (done > 0) {
      const auto last = log_.read_after(done - 1, 1);
      generator_.resume(resume_t0_, done);
      if (last.events.empty() ||
          !generator_.follows_schedule(done, last.events.front()->created_ns)) {
        throw std::runtime_error("--resume: " + config_.state_dir +
                                 "/events.log does not follow this schedule");
      }
    } else {
      generator_.resume(resume_t0_, 0);
    }
    const auto& w = generator_.window();
    const nanos now = now_ns();
    if (now < w.start_ns) {
      arm_window_timer(w.start_ns);
    } else if (now < w.end_ns) {
      // Only the rest of the window is this process's: its CPU covers from here on.
      cpu_.start();
      cpu_from_ = now;
      rss_start_ = current_rss_bytes();
      arm_window_timer(w.end_ns);
    }
  }
  if (!config_.state_dir.empty()) {
    state_error_ = write_atomically(config_.state_dir + "/producer.json", state_json().dump());
    if (!state_error_.empty()) throw std::runtime_error(state_error_);
  }
  if (config_.autostart) start_generation();
}

nlohmann::json producer::state_json() const {
  const auto& plan = generator_.plan();
  return {{"format", 1},
          {"schedule", schedule_json(config_.generation)},
          {"planned",
           {{"first_seq", plan.window_first},
            {"last_seq", plan.window_last},
            {"seq_limit", plan.limit}}},
          {"t0_ns", generator_.started() ? generator_.t0() : nanos{0}},
          {"port", port()},
          {"restarts", restarts_},
          {"idle_cores", idle_cores_ >= 0 ? nlohmann::json(idle_cores_) : nlohmann::json(nullptr)}};
}

void producer::measure_idle(nanos d) { idle_cores_ = measure_idle_cores(ioc_, d); }

bool producer::start_generation() {
  if (generator_.started()) return false;
  generator_.start(now_ns());
  arm_window_timer(generator_.window().start_ns);
  if (!config_.state_dir.empty()) {
    // t0 must be on disk before the first event a reader could see: a restart needs it.
    state_error_ = write_atomically(config_.state_dir + "/producer.json", state_json().dump());
    if (!state_error_.empty()) std::cerr << "hookbench serve: " << state_error_ << "\n";
  }
  return true;
}

// CPU and RSS are read by timers at the window's edges, so the CPU window is the event window.
void producer::arm_window_timer(nanos at) {
  window_timer_.expires_at(steady_time_of(at));
  window_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    if (!cpu_.started()) {
      cpu_.start();
      cpu_from_ = now_ns();
      rss_start_ = current_rss_bytes();
      arm_window_timer(generator_.window().end_ns);
    } else {
      cpu_.end();
      cpu_to_ = now_ns();
      rss_end_ = current_rss_bytes();
      // What the window left behind: deliveries not finished.
      queue_depth_end_ = 0;
      for (const auto& d : deliveries_) queue_depth_end_ += d->pending();
      queue_depth_taken_ = true;
    }
  });
}

void producer::arm_sampler() {
  sampler_.expires_after(std::chrono::nanoseconds(kSamplePeriod));
  sampler_.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    rss_max_ = std::max(rss_max_, current_rss_bytes());
    arm_sampler();
  });
}

void producer::observe(const http::exchange& x) {
  if (x.status >= 400) ++rejected_[x.status];
  for (auto& d : deliveries_) d->observe(x);
}

void producer::handle(http::request&& req, http::reply_fn reply) {
  const std::string path = req.path();
  auto method_is = [&](const char* m) { return req.method == m; };
  auto wrong_method = [&](const char* allowed) {
    return http::method_not_allowed(req.method, path, allowed);
  };
  if (auto refused = access_.check(req)) return reply(std::move(*refused));
  for (auto& d : deliveries_) {
    if (d->handle(req, reply)) return;
  }
  if (path == "/control/ping") {
    return reply({200, "{\"now_ns\":" + std::to_string(now_ns()) + "}"});
  }
  if (path == "/control/start") {
    if (!method_is("POST")) return reply(wrong_method("POST"));
    if (!start_generation()) return reply(http::json_error(409, "generation already started"));
    return reply(handle_window());
  }
  if (path == "/control/window") return reply(handle_window());
  if (path == "/control/report") {
    if (trace_ && !trace_->write(config_.trace_path, "producer")) {
      return reply(http::json_error(500, "cannot write the trace part " + config_.trace_path));
    }
    return reply({200, report().dump()});
  }
  if (path == "/control/shutdown") {
    if (!method_is("POST")) return reply(wrong_method("POST"));
    reply({200, "{\"shutdown\":true}"});
    if (on_shutdown) boost::asio::post(ioc_, on_shutdown);
    return;
  }
  reply(http::json_error(404, "no route for " + req.method + " " + path));
}

http::response producer::handle_window() {
  const auto& w = generator_.window();
  nlohmann::json j{
      {"started", generator_.started()}, {"finished", generator_.finished()}, {"now_ns", now_ns()}};
  const auto& plan = generator_.plan();
  j["planned"] = {{"first_seq", plan.window_first},
                  {"last_seq", plan.window_last},
                  {"seq_limit", plan.limit},
                  {"warmup_s", to_s(config_.generation.warmup)},
                  {"duration_s", to_s(config_.generation.duration)},
                  {"tail_s", to_s(config_.generation.tail)}};
  if (generator_.started()) {
    j["t0_ns"] = generator_.t0();
    j["window_start_ns"] = w.start_ns;
    j["window_end_ns"] = w.end_ns;
  }
  if (generator_.finished()) {
    j["first_seq"] = generator_.window_first();
    j["last_seq"] = generator_.window_last();
    j["produced"] = generator_.window_events();
  }
  return {200, j.dump()};
}

nlohmann::json producer::report() {
  auto lag = summarize_latency(generator_.window_lag());
  const bool cpu_measured = cpu_.measured();
  const nlohmann::json cpu =
      cpu_measured ? nlohmann::json(cpu_.seconds()) : nlohmann::json(nullptr);
  nlohmann::json rejected = nlohmann::json::object();
  for (auto [status, n] : rejected_) rejected[std::to_string(status)] = n;
  traffic_by_kind requests;
  traffic_counter bytes;
  for (const auto& d : deliveries_) {
    for (const auto& [kind, t] : d->requests()) {
      auto& sum = requests[kind];
      sum.requests += t.requests;
      sum.bytes_sent += t.bytes_sent;
      sum.bytes_received += t.bytes_received;
    }
    const auto b = d->bytes();
    bytes.bytes_sent += b.bytes_sent;
    bytes.bytes_received += b.bytes_received;
  }
  nlohmann::json j = {
      {"role", "producer"},
      {"config", config_.to_json()},
      {"finished", generator_.finished()},
      {"produced", generator_.window_events()},
      {"first_seq", generator_.window_first()},
      {"last_seq", generator_.window_last()},
      {"generated_total", generator_.total_events()},
      {"planned_first_seq", generator_.plan().window_first},
      {"planned_last_seq", generator_.plan().window_last},
      {"seq_limit", generator_.plan().limit},
      {"generated_after_window",
       generator_.total_events() -
           std::min<std::uint64_t>(generator_.total_events(), generator_.window_last())},
      {"generator_lag_us", lag},
      {"requests", to_json(requests)},
      {"bytes", {{"sent", bytes.bytes_sent}, {"received", bytes.bytes_received}}},
      {"rejected", rejected},
      // Requests refused at a cap on what a token, or the process, holds open (by reason; they
      // are among `rejected` too), and what is held now.
      {"refusals", holdings_->refusals()},
      {"held", holdings_->held_json()},
      // Hostile or broken clients the HTTP server turned away (http/server.hpp).
      {"refused_connections", server_.refused_connections()},
      {"refused_per_address", server_.refused_per_address()},
      {"timed_out_requests", server_.timed_out_requests()},
      {"cpu_s", cpu},
      {"cpu_measured", cpu_measured},
      {"cpu_idle_cores", idle_cores_ >= 0 ? nlohmann::json(idle_cores_) : nlohmann::json(nullptr)},
      {"queue_depth_end",
       queue_depth_taken_ ? nlohmann::json(queue_depth_end_) : nlohmann::json(nullptr)},
      {"rss_bytes",
       {{"idle", rss_idle_},
        {"window_start", rss_start_},
        {"window_end", rss_end_},
        {"max", rss_max_}}},
      // Whole run: handshakes of clients of this API (the webhook POSTs' are in "webhooks").
      {"tls_handshakes", server_.tls_handshakes()},
      {"tls_handshake_failures", server_.tls_handshake_failures()},
  };
  for (const auto& d : deliveries_) j[std::string(d->name())] = d->report();
  if (const durable_log* file = log_.file()) {
    const auto st = file->stats();
    j["durable_log"] = {
        {"fsync", to_string(file->options().policy)},
        {"fsync_interval_ms", to_ms(file->options().interval)},
        {"appends", st.appends},
        {"bytes", st.bytes},
        {"syncs", st.syncs},
        {"sync_us_mean", st.syncs ? to_us(st.sync_ns) / static_cast<double>(st.syncs) : 0.0},
        {"sync_us_max", to_us(st.sync_max_ns)},
        {"write_errors", st.write_errors},
        {"not_written_after_error", st.not_written},
        {"loaded_events", st.loaded},
        {"dropped_torn_bytes", st.dropped_bytes},
        {"state_error", state_error_}};
  }
  if (restarts_ > 0) {
    // This report is the restarted process's: its own counters start at the restart. The
    // window's seqs, `produced` and the plan cover the whole window (from the schedule and the
    // log); the consumer's counts (lost, duplicates) cover all of it too.
    j["restarts"] = restarts_;
    j["resumed_at_ns"] = generator_.resumed_at();
    j["cpu_covers"] = "from the restart to the window end";
    j["counts_cover"] =
        "requests, bytes, rejected and generator lag: from the restart to the end of the run";
    j["cpu_window_s"] =
        cpu_measured ? nlohmann::json(to_s(cpu_to_ - cpu_from_)) : nlohmann::json(nullptr);
    j["caught_up_events"] = generator_.caught_up();
    j["generator_lag_not_sampled"] = generator_.lag_skipped();
  }
  return j;
}

}  // namespace hookbench
