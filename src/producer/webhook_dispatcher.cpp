// Per-subscriber queues drained by a bounded pool of HTTP client connections.
#include "producer/webhook_dispatcher.hpp"

#include <boost/asio/steady_timer.hpp>
#include <iostream>

#include "measure/latency.hpp"
#include "security/signing.hpp"

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
  std::string owner;  // the bearer token that registered it
  bool active = true;
  std::optional<security::webhook_secret> secret;
  std::optional<security::hmac_signer> hmac;  // keyed with `secret` (hmac scheme)
  struct queued {
    seq_t seq;  // the (first) event it carries: the POST counts for that event's window
    seq_t last;
    std::shared_ptr<const std::string> body;
    std::size_t events = 1;
    std::size_t event_bytes = 0;
  };
  std::deque<queued> queue;
  batch_policy batch;
  std::string open_batch;  // the open batch's events, comma-separated JSON
  seq_t open_first = 0, open_last = 0;
  std::size_t open_events = 0, open_event_bytes = 0;
  std::unique_ptr<boost::asio::steady_timer> batch_timer;
  std::vector<std::unique_ptr<http::client_connection>> pool;
};

webhook_dispatcher::webhook_dispatcher(delivery_context ctx, dispatcher_options options)
    : ctx_(ctx), options_(options) {
  if (options_.signature == security::signature_scheme::ed25519) {
    ed25519_ = security::ed25519_signer::generate();
  }
}

webhook_dispatcher::~webhook_dispatcher() = default;

namespace {

// "application/json", any case, optionally with parameters ("; charset=utf-8").
bool is_json_type(std::string_view type) {
  const auto media = type.substr(0, type.find(';'));
  const auto end = media.find_last_not_of(" \t");
  return end != std::string_view::npos &&
         http::to_lower(media.substr(0, end + 1)) == "application/json";
}

}  // namespace

bool webhook_dispatcher::handle(http::request& req, http::reply_fn& reply) {
  const std::string path = req.path();
  constexpr std::string_view kRoute = "/subscriptions";
  if (path == kRoute) {
    if (req.method == "POST") {
      reply(subscribe(req));
    } else if (req.method == "GET") {
      reply(list(req));
    } else {
      reply(http::method_not_allowed(req.method, path, "GET, POST"));
    }
    return true;
  }
  if (!path.starts_with(std::string(kRoute) + "/")) return false;
  if (req.method != "DELETE") {
    reply(http::method_not_allowed(req.method, path, "DELETE"));
  } else {
    reply(unsubscribe(req, std::string_view(path).substr(kRoute.size() + 1)));
  }
  return true;
}

std::size_t webhook_dispatcher::subscribers() const {
  std::size_t n = 0;
  for (const auto& s : subs_) n += s->active ? 1 : 0;
  return n;
}

std::size_t webhook_dispatcher::owned_by(const std::string& owner) const {
  std::size_t n = 0;
  for (const auto& s : subs_) n += s->active && s->owner == owner ? 1 : 0;
  return n;
}

http::response webhook_dispatcher::list(const http::request& req) const {
  const std::string owner = ctx_.access ? ctx_.access->owner(req) : std::string();
  auto items = nlohmann::json::array();
  for (const auto& s : subs_) {
    if (!s->active || s->owner != owner) continue;
    nlohmann::json item{{"id", s->id}, {"url", s->url.to_string()}};
    if (s->batch.window > 0) {
      item["batch_window_ms"] = to_ms(s->batch.window);
      item["batch_max"] = s->batch.max;
    }
    items.push_back(std::move(item));
  }
  return {200, nlohmann::json{{"subscriptions", std::move(items)}}.dump()};
}

http::response webhook_dispatcher::unsubscribe(const http::request& req, std::string_view id_text) {
  std::uint64_t id = 0;
  if (!try_parse_u64(id_text, id)) {
    return http::json_error(400, "subscription id must be a non-negative integer, got '" +
                                     std::string(id_text.substr(0, 40)) + "'");
  }
  const std::string owner = ctx_.access ? ctx_.access->owner(req) : std::string();
  // Another token's subscription is "not found" too: ids are not a way to learn of others.
  if (id >= subs_.size() || !subs_[id]->active || subs_[id]->owner != owner) {
    return http::json_error(404, "no subscription " + std::to_string(id) + " for this token");
  }
  subscriber& s = *subs_[id];
  s.active = false;
  if (s.batch_timer) s.batch_timer->cancel();
  stats_.cancelled += s.queue.size() + s.open_events;
  s.queue.clear();
  s.open_batch.clear();
  s.open_events = s.open_event_bytes = 0;
  ++stats_.deleted;
  return {204};
}

http::response webhook_dispatcher::subscribe(const http::request& req) {
  // JSON only; a request that names no type is read as JSON too (curl -d sends a form type, so
  // that one is refused with a reason rather than misread).
  if (const auto type = req.header("content-type"); !type.empty() && !is_json_type(type)) {
    return http::json_error(415, "POST /subscriptions takes application/json, got '" + type + "'");
  }
  auto j = nlohmann::json::parse(req.body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return http::json_error(400, "body is not a JSON object");
  auto url = j.find("url");
  if (url == j.end() || !url->is_string()) {
    return http::json_error(400, "body needs a string \"url\"");
  }
  batch_policy batch;
  if (auto w = j.find("batch_window_ms"); w != j.end()) {
    if (!w->is_number() || w->get<double>() < 1 || w->get<double>() > 60'000) {
      return http::json_error(400, "batch_window_ms must be a number from 1 to 60000");
    }
    batch.window = static_cast<nanos>(w->get<double>() * kNanosPerMilli);
    batch.max = 100;
  }
  if (auto m = j.find("batch_max"); m != j.end()) {
    if (!m->is_number_unsigned() || m->get<std::uint64_t>() < 1 ||
        m->get<std::uint64_t>() > 10'000) {
      return http::json_error(400, "batch_max must be an integer from 1 to 10000");
    }
    batch.max = m->get<std::size_t>();
  }
  std::optional<security::webhook_secret> secret;
  if (auto sec = j.find("secret"); sec != j.end()) {
    if (!sec->is_string()) return http::json_error(400, "secret must be a string \"whsec_...\"");
    try {
      secret = security::webhook_secret::parse(sec->get<std::string>());
    } catch (const std::invalid_argument& e) {
      return http::json_error(400, std::string("secret: ") + e.what());
    }
  }
  try {
    auto parsed = parse_http_url(url->get<std::string>());
    if (parsed.tls && !options_.tls) {
      return http::json_error(400,
                              "https:// webhook URL, but this producer has no CA to verify "
                              "it (serve --tls-ca FILE or --tls)");
    }
    std::string owner;
    if (ctx_.access) {
      if (auto why = ctx_.access->check_target(parsed.address, req.remote_address); !why.empty()) {
        return http::json_error(403, why);
      }
      owner = ctx_.access->owner(req);
      if (owned_by(owner) >= ctx_.access->max_subscriptions()) {
        return http::json_error(
            403,
            "this token already holds " + std::to_string(ctx_.access->max_subscriptions()) +
                " subscriptions, the most allowed (serve --max-subscriptions); DELETE one first");
      }
    }
    auto id = add_subscriber(parsed, batch, std::move(secret), std::move(owner));
    nlohmann::json body{{"id", id},
                        {"url", parsed.to_string()},
                        {"secret", secret_of(id)},
                        {"signature", security::to_string(options_.signature)}};
    if (ed25519_) body["public_key"] = public_key();
    if (batch.window > 0) {
      body["batch_window_ms"] = to_ms(batch.window);
      body["batch_max"] = batch.max;
    }
    return {201, body.dump()};
  } catch (const usage_error& e) {
    return http::json_error(400, std::string("url: ") + e.what());
  }
}

std::size_t webhook_dispatcher::add_subscriber(http_url url, batch_policy batch,
                                               std::optional<security::webhook_secret> secret,
                                               std::string owner) {
  auto s = std::make_unique<subscriber>();
  s->id = subs_.size();
  s->url = std::move(url);
  s->owner = std::move(owner);
  s->secret = secret ? std::move(secret) : security::webhook_secret::generate();
  if (options_.signature == security::signature_scheme::hmac) s->hmac.emplace(*s->secret);
  s->batch = batch;
  if (batch.window > 0) s->batch_timer = std::make_unique<boost::asio::steady_timer>(ctx_.ioc);
  subs_.push_back(std::move(s));
  return subs_.back()->id;
}

std::string webhook_dispatcher::secret_of(std::size_t id) const {
  return subs_.at(id)->secret->to_string();
}

std::string webhook_dispatcher::public_key() const {
  return ed25519_ ? ed25519_->public_key().to_string() : std::string();
}

void webhook_dispatcher::sign(subscriber& s, http::client_request& req, seq_t first, seq_t last) {
  if (options_.signature == security::signature_scheme::none) return;
  const nanos started = now_ns();
  std::string id = "msg_" + std::to_string(first);
  if (s.batch.window > 0) id += "-" + std::to_string(last);
  // Wall-clock seconds at sending: a retry would get a fresh timestamp and signature.
  const std::int64_t ts = unix_seconds();
  std::string signature =
      s.hmac ? s.hmac->sign(id, ts, req.body) : ed25519_->sign(id, ts, req.body);
  req.headers.emplace_back("webhook-id", std::move(id));
  req.headers.emplace_back("webhook-timestamp", std::to_string(ts));
  req.headers.emplace_back("webhook-signature", std::move(signature));
  ++stats_.signed_posts;
  stats_.signing_ns += now_ns() - started;
}

void webhook_dispatcher::publish(const event& e) {
  if (subs_.empty()) return;
  // Encoded once, shared by every subscriber's queue.
  auto body = std::make_shared<const std::string>(event_json(e));
  for (auto& s : subs_) {
    if (!s->active) continue;
    if (s->batch.window > 0) {
      if (s->open_events > 0) s->open_batch += ',';
      s->open_batch += *body;
      if (s->open_events++ == 0) {
        s->open_first = e.seq;
        s->batch_timer->expires_after(std::chrono::nanoseconds(s->batch.window));
        s->batch_timer->async_wait([this, sub = s.get()](const boost::system::error_code& ec) {
          if (!ec && sub->open_events > 0) flush(*sub);
        });
      }
      s->open_last = e.seq;
      s->open_event_bytes += body->size();
      if (s->open_events >= s->batch.max) flush(*s);
      continue;
    }
    if (s->queue.size() >= options_.queue_limit) {
      ++stats_.queue_overflow;
      if (ctx_.counts(e.seq)) ++stats_.failed_window;
      continue;
    }
    s->queue.push_back({e.seq, e.seq, body, 1, body->size()});
    pump(*s);
  }
}

void webhook_dispatcher::flush(subscriber& s) {
  s.batch_timer->cancel();
  auto body = std::make_shared<std::string>();
  body->reserve(s.open_batch.size() + 48);
  *body += "{\"events\":[";
  *body += s.open_batch;
  *body += "],\"next\":" + std::to_string(s.open_last) + "}";
  subscriber::queued q{s.open_first, s.open_last, std::move(body), s.open_events,
                       s.open_event_bytes};
  s.open_batch.clear();
  s.open_events = s.open_event_bytes = 0;
  if (s.queue.size() >= options_.queue_limit) {
    ++stats_.queue_overflow;
    if (ctx_.counts(q.seq)) ++stats_.failed_window;
    return;
  }
  s.queue.push_back(std::move(q));
  pump(s);
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
      if (s.url.tls) co.tls = options_.tls;
      s.pool.push_back(std::make_unique<http::client_connection>(ctx_.ioc, s.url.address, co));
      idle = s.pool.back().get();
    }
    http::client_request req;
    req.method = "POST";
    req.target = s.url.target;
    req.body = *s.queue.front().body;
    const seq_t seq = s.queue.front().seq;
    sign(s, req, seq, s.queue.front().last);
    const std::size_t events = s.queue.front().events;
    const std::size_t event_bytes = s.queue.front().event_bytes;
    s.queue.pop_front();
    const nanos started = now_ns();
    if (ctx_.trace) ctx_.trace->webhook_post(started, seq, s.id);
    const bool counted = ctx_.counts(seq);
    ++stats_.posts_total;
    const std::uint64_t opened_before = idle->connections_opened();
    const std::uint64_t handshakes_before = idle->tls_handshakes();
    const std::size_t body_bytes = req.body.size();
    idle->async_send(std::move(req), [this, &s, idle, counted, opened_before, handshakes_before,
                                      started, body_bytes, events, event_bytes](
                                         boost::system::error_code ec, http::client_response&& r) {
      stats_.connections_opened += idle->connections_opened() - opened_before;
      stats_.tls_handshakes += idle->tls_handshakes() - handshakes_before;
      if (counted) {
        stats_.window.add(r.bytes_sent, r.bytes_received);
        if (r.bytes_sent > 0) {
          stats_.window_body_bytes += body_bytes;
          stats_.window_events += events;
          stats_.window_event_bytes += event_bytes;
        }
      }
      const bool ok = !ec && r.status >= 200 && r.status < 300;
      if (ok) {
        ++stats_.delivered_total;
        if (counted) {
          round_trips_.push_back(now_ns() - started);
          // The first subscriber's POST leaves first: its round trip has no sibling ahead.
          if (s.id == 0) first_round_trips_.push_back(round_trips_.back());
        }
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
    n += s->queue.size() + s->open_events;
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
  auto first = first_round_trips_;
  return {{"subscribers", subscribers()},
          {"posts", d.window.requests},
          {"failed", d.failed_window},
          {"bytes_sent", d.window.bytes_sent},
          {"bytes_received", d.window.bytes_received},
          {"body_bytes", d.window_body_bytes},
          {"round_trip_us", summarize_latency(rtts)},
          {"first_round_trip_us", summarize_latency(first)},
          {"posts_total", d.posts_total},
          {"delivered_total", d.delivered_total},
          {"non_2xx", d.non_2xx},
          {"timeouts", d.timeouts},
          {"errors", d.errors},
          {"queue_overflow", d.queue_overflow},
          {"connections_opened", d.connections_opened},
          {"subscriptions_deleted", d.deleted},
          {"cancelled", d.cancelled},
          {"signature", security::to_string(options_.signature)},
          {"signed_posts", d.signed_posts},
          {"signing_us_per_post",
           d.signed_posts > 0 ? to_us(d.signing_ns) / static_cast<double>(d.signed_posts) : 0.0},
          {"tls_handshakes", d.tls_handshakes},
          {"pending", pending()},
          {"events", d.window_events},
          {"wire", wire_json(d.window.requests, d.window.bytes_sent + d.window.bytes_received,
                             d.window_events, d.window_event_bytes)}};
}

}  // namespace hookbench
