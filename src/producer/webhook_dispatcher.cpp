// Per-subscriber queues drained by a bounded pool of HTTP client connections.
#include "producer/webhook_dispatcher.hpp"

#include <iostream>

#include "measure/latency.hpp"

namespace hookbench {

connection_policy parse_connection_policy(std::string_view text) {
  if (text == "keepalive") return connection_policy::keepalive;
  if (text == "new") return connection_policy::fresh;
  throw usage_error("expected keepalive or new, got '" + std::string(text) + "'");
}

std::string to_string(connection_policy policy) {
  return policy == connection_policy::keepalive ? "keepalive" : "new";
}

struct webhook_dispatcher::subscriber {
  std::size_t id = 0;
  http_url url;
  struct queued {
    seq_t seq;
    std::shared_ptr<const std::string> body;
  };
  std::deque<queued> queue;
  std::vector<std::unique_ptr<http::client_connection>> pool;
};

webhook_dispatcher::webhook_dispatcher(delivery_context ctx, dispatcher_options options)
    : ctx_(ctx), options_(options) {}

webhook_dispatcher::~webhook_dispatcher() = default;

bool webhook_dispatcher::handle(http::request& req, http::reply_fn& reply) {
  if (req.path() != "/subscriptions") return false;
  if (req.method != "POST") {
    auto r = http::json_error(405, req.method + " not allowed on /subscriptions; use POST");
    r.headers.emplace_back("Allow", "POST");
    reply(std::move(r));
  } else {
    reply(subscribe(req));
  }
  return true;
}

http::response webhook_dispatcher::subscribe(const http::request& req) {
  auto j = nlohmann::json::parse(req.body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return http::json_error(400, "body is not a JSON object");
  auto url = j.find("url");
  if (url == j.end() || !url->is_string()) {
    return http::json_error(400, "body needs a string \"url\"");
  }
  try {
    auto parsed = parse_http_url(url->get<std::string>());
    auto id = add_subscriber(parsed);
    return {201, nlohmann::json{{"id", id}, {"url", parsed.to_string()}}.dump()};
  } catch (const usage_error& e) {
    return http::json_error(400, std::string("url: ") + e.what());
  }
}

std::size_t webhook_dispatcher::add_subscriber(http_url url) {
  auto s = std::make_unique<subscriber>();
  s->id = subs_.size();
  s->url = std::move(url);
  subs_.push_back(std::move(s));
  return subs_.back()->id;
}

void webhook_dispatcher::publish(const event& e) {
  if (subs_.empty()) return;
  // Encoded once, shared by every subscriber's queue.
  auto body = std::make_shared<const std::string>(event_json(e));
  for (auto& s : subs_) {
    if (s->queue.size() >= options_.queue_limit) {
      ++stats_.queue_overflow;
      if (ctx_.counts(e.seq)) ++stats_.failed_window;
      continue;
    }
    s->queue.push_back({e.seq, body});
    pump(*s);
  }
}

void webhook_dispatcher::pump(subscriber& s) {
  while (!s.queue.empty()) {
    http::client_connection* idle = nullptr;
    for (auto& c : s.pool) {
      if (!c->busy()) {
        idle = c.get();
        break;
      }
    }
    if (!idle) {
      if (s.pool.size() >= options_.concurrency) return;
      http::client_options co;
      co.keep_alive = options_.connections == connection_policy::keepalive;
      co.timeout = options_.timeout;
      co.body_limit = 64 * 1024;
      s.pool.push_back(std::make_unique<http::client_connection>(ctx_.ioc, s.url.address, co));
      idle = s.pool.back().get();
    }
    http::client_request req;
    req.method = "POST";
    req.target = s.url.target;
    req.body = *s.queue.front().body;
    const seq_t seq = s.queue.front().seq;
    s.queue.pop_front();
    const nanos started = now_ns();
    if (ctx_.trace) ctx_.trace->webhook_post(started, seq, s.id);
    const bool counted = ctx_.counts(seq);
    ++stats_.posts_total;
    const std::uint64_t opened_before = idle->connections_opened();
    const std::size_t body_bytes = req.body.size();
    idle->async_send(std::move(req), [this, &s, idle, counted, opened_before, started, body_bytes](
                                         boost::system::error_code ec, http::client_response&& r) {
      stats_.connections_opened += idle->connections_opened() - opened_before;
      if (counted) {
        stats_.window.add(r.bytes_sent, r.bytes_received);
        if (r.bytes_sent > 0) stats_.window_body_bytes += body_bytes;
      }
      const bool ok = !ec && r.status >= 200 && r.status < 300;
      if (ok) {
        ++stats_.delivered_total;
        if (counted) round_trips_.push_back(now_ns() - started);
      } else {
        if (counted) ++stats_.failed_window;
        if (ec == boost::asio::error::timed_out || http::describe(ec) == "timed out") {
          ++stats_.timeouts;
        } else if (ec) {
          ++stats_.errors;
        } else {
          ++stats_.non_2xx;
        }
        // Tail load (after the window) meets a receiver that already finished: not news.
        if (counted && !first_failure_logged_) {
          first_failure_logged_ = true;
          std::cerr << "hookbench serve: webhook delivery to " << s.url.to_string()
                    << " failed: " << (ec ? http::describe(ec) : "HTTP " + std::to_string(r.status))
                    << " (counted; further failures are counted silently)\n";
        }
      }
      pump(s);
    });
  }
}

std::size_t webhook_dispatcher::pending() const {
  std::size_t n = 0;
  for (const auto& s : subs_) {
    n += s->queue.size();
    for (const auto& c : s->pool) n += c->busy() ? 1 : 0;
  }
  return n;
}

dispatcher_stats webhook_dispatcher::stats() const { return stats_; }

traffic_by_kind webhook_dispatcher::requests() const {
  if (stats_.window.requests == 0) return {};
  return {{"webhook_post", stats_.window}};
}

nlohmann::json webhook_dispatcher::report() const {
  const auto& d = stats_;
  auto rtts = round_trips_;  // summarize_latency sorts
  return {{"subscribers", subscribers()},
          {"posts", d.window.requests},
          {"failed", d.failed_window},
          {"bytes_sent", d.window.bytes_sent},
          {"bytes_received", d.window.bytes_received},
          {"body_bytes", d.window_body_bytes},
          {"round_trip_us", summarize_latency(rtts)},
          {"posts_total", d.posts_total},
          {"delivered_total", d.delivered_total},
          {"non_2xx", d.non_2xx},
          {"timeouts", d.timeouts},
          {"errors", d.errors},
          {"queue_overflow", d.queue_overflow},
          {"connections_opened", d.connections_opened},
          {"pending", pending()},
          {"wire", wire_json(d.window.requests, d.window.bytes_sent + d.window.bytes_received,
                             d.window.requests, d.window_body_bytes)}};
}

}  // namespace hookbench
