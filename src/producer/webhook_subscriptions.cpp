// The subscriptions' HTTP routes (POST, GET and DELETE /subscriptions), their checks (the body's
// fields in subscription_request.cpp; here the target and the number per token and per process)
// and ownership: a token sees and ends only its own. What is then sent to a subscriber is
// webhook_dispatcher.cpp's.
#include <algorithm>
#include <boost/asio/post.hpp>
#include <nlohmann/json.hpp>

#include "producer/webhook_subscriber.hpp"
#include "security/token.hpp"

namespace hookbench {

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
  for (const auto& [id, s] : subs_) n += s->active ? 1 : 0;
  return n;
}

std::string webhook_dispatcher::owner_of(const http::request& req) const {
  // Kept as a keyed hash: neither memory dumps of subscriptions nor the state file hold a token.
  return ctx_.access ? security::keyed_hash(owner_key_, ctx_.access->owner(req)) : std::string();
}

http::response webhook_dispatcher::list(const http::request& req) const {
  const std::string owner = owner_of(req);
  auto items = nlohmann::json::array();
  for (const auto& [id, s] : subs_) {
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
  const std::string owner = owner_of(req);
  // Another token's subscription is "not found" too: ids are not a way to learn of others.
  const auto it = subs_.find(id);
  if (it == subs_.end() || !it->second->active || it->second->owner != owner) {
    return http::json_error(404, "no subscription " + std::to_string(id) + " for this token");
  }
  subscriber& s = *it->second;
  for (const auto& d : s.queue) stats_.cancelled += d.events;
  for (const auto& [due, d] : s.retries) stats_.cancelled += d.events;
  stats_.cancelled += s.open_events;
  forget_pending(s);
  ++stats_.deleted;
  retire(s);
  save_state();
  return {204};
}

http::response webhook_dispatcher::subscribe(const http::request& req) {
  auto parsed = parse_subscription(req.header("content-type"), req.body);
  if (!parsed.request) return http::json_error(parsed.status, parsed.error);
  auto& [url, batch, secret] = *parsed.request;
  if (url.tls && !options_.tls) {
    return http::json_error(400,
                            "https:// webhook URL, but this producer has no CA to verify it "
                            "(serve --tls-ca FILE or --tls)");
  }
  if (ctx_.access) {
    if (auto why = ctx_.access->check_target(url.address, req.remote_address); !why.empty()) {
      return http::json_error(403, why);
    }
  }
  // The keyed hash of the token: what the state file keeps, so a restored subscription counts
  // under the same owner as a new one.
  std::string owner = owner_of(req);
  holdings::holding held;
  if (ctx_.caps) {
    std::string why;
    bool per_token = false;
    held = ctx_.caps->hold(holding_kind::subscription, owner, why, &per_token);
    // A token at its own cap can make room (403); a full producer is busy for everyone (429).
    if (!held) return http::json_error(per_token ? 403 : 429, why + "; DELETE one first");
  }
  const auto id = add_subscriber(url, batch, std::move(secret), std::move(owner));
  subscriber& s = *subs_.at(id);
  s.held = std::move(held);
  s.peer = req.remote_address;
  save_state();
  nlohmann::json body{{"id", id},
                      {"url", url.to_string()},
                      {"secret", secret_of(id)},
                      {"signature", security::to_string(options_.signature)}};
  if (ed25519_) body["public_key"] = public_key();
  if (batch.window > 0) {
    body["batch_window_ms"] = to_ms(batch.window);
    body["batch_max"] = batch.max;
  }
  return {201, body.dump()};
}

std::size_t webhook_dispatcher::add_subscriber(http_url url, batch_policy batch,
                                               std::optional<security::webhook_secret> secret,
                                               std::string owner) {
  auto s = std::make_unique<subscriber>();
  s->id = next_id_++;
  s->url = std::move(url);
  s->owner = std::move(owner);
  s->secret = secret ? std::move(secret) : security::webhook_secret::generate();
  if (options_.signature == security::signature_scheme::hmac) s->hmac.emplace(*s->secret);
  s->batch = batch;
  if (batch.window > 0) s->batch_timer = std::make_unique<boost::asio::steady_timer>(ctx_.ioc);
  s->wake = std::make_unique<boost::asio::steady_timer>(ctx_.ioc);
  // It gets events from the next one on: its cursor starts at the newest logged.
  s->last_published = ctx_.log.last_seq();
  const std::size_t id = s->id;
  subs_.emplace(id, std::move(s));
  return id;
}

void webhook_dispatcher::forget_pending(subscriber& s) {
  if (ctx_.caps) {
    ctx_.caps->give_back(holding_kind::webhook_delivery, s.owner, s.outstanding.size());
  }
  s.clear_pending();
}

void webhook_dispatcher::retire(subscriber& s) {
  s.deactivate();
  s.held.release();
  // Closed, not yet destroyed: a POST in flight on one finishes (aborted) through its callback,
  // which still holds the connection and the subscriber.
  for (auto& c : s.pool) c->close();
  free_if_done(s);
}

void webhook_dispatcher::free_if_done(subscriber& s) {
  if (s.active || s.in_flight > 0 || s.freeing) return;
  s.freeing = true;
  // Posted: this may run inside one of its connections' callbacks.
  boost::asio::post(ctx_.ioc, [this, id = s.id] { subs_.erase(id); });
}

// A receiver's keep-alive connection left idle is closed on our side, so that descriptors follow
// the subscribers that are sending, not every receiver ever reached. The timer runs only while
// some pool holds a connection: a dispatcher with none leaves its io_context without work.
void webhook_dispatcher::arm_idle_sweep() {
  if (idle_armed_ || options_.idle_timeout <= 0) return;
  if (std::none_of(subs_.begin(), subs_.end(),
                   [](const auto& s) { return !s.second->pool.empty(); }))
    return;
  if (!idle_timer_) idle_timer_ = std::make_unique<boost::asio::steady_timer>(ctx_.ioc);
  idle_armed_ = true;
  idle_timer_->expires_after(
      std::chrono::nanoseconds(std::max<nanos>(options_.idle_timeout / 2, 10 * kNanosPerMilli)));
  idle_timer_->async_wait([this](const boost::system::error_code& ec) {
    idle_armed_ = false;
    if (ec) return;
    const nanos now = now_ns();
    for (auto& [id, s] : subs_) {
      std::erase_if(s->pool, [&](const auto& c) {
        return !c->busy() && c->idle_since() > 0 && now - c->idle_since() >= options_.idle_timeout;
      });
    }
    arm_idle_sweep();
  });
}

std::string webhook_dispatcher::secret_of(std::size_t id) const {
  return subs_.at(id)->secret->to_string();
}

std::string webhook_dispatcher::public_key() const {
  return ed25519_ ? ed25519_->public_key().to_string() : std::string();
}

}  // namespace hookbench
