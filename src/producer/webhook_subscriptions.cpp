// The subscriptions' HTTP routes (POST, GET and DELETE /subscriptions), their checks (the body's
// fields in subscription_request.cpp; here the target and the number per token) and ownership: a
// token sees and ends only its own. What is then sent to a subscriber is webhook_dispatcher.cpp's.
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
  for (const auto& s : subs_) n += s->active ? 1 : 0;
  return n;
}

std::string webhook_dispatcher::owner_of(const http::request& req) const {
  // Kept as a keyed hash: neither memory dumps of subscriptions nor the state file hold a token.
  return ctx_.access ? security::keyed_hash(owner_key_, ctx_.access->owner(req)) : std::string();
}

std::size_t webhook_dispatcher::owned_by(const std::string& owner) const {
  std::size_t n = 0;
  for (const auto& s : subs_) n += s->active && s->owner == owner ? 1 : 0;
  return n;
}

http::response webhook_dispatcher::list(const http::request& req) const {
  const std::string owner = owner_of(req);
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
  const std::string owner = owner_of(req);
  // Another token's subscription is "not found" too: ids are not a way to learn of others.
  if (id >= subs_.size() || !subs_[id]->active || subs_[id]->owner != owner) {
    return http::json_error(404, "no subscription " + std::to_string(id) + " for this token");
  }
  subscriber& s = *subs_[id];
  s.deactivate();
  for (const auto& d : s.queue) stats_.cancelled += d.events;
  for (const auto& [due, d] : s.retries) stats_.cancelled += d.events;
  stats_.cancelled += s.open_events;
  s.clear_pending();
  ++stats_.deleted;
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
  std::string owner;
  if (ctx_.access) {
    if (auto why = ctx_.access->check_target(url.address, req.remote_address); !why.empty()) {
      return http::json_error(403, why);
    }
    owner = owner_of(req);
    if (owned_by(owner) >= ctx_.access->max_subscriptions()) {
      return http::json_error(
          403,
          "this token already holds " + std::to_string(ctx_.access->max_subscriptions()) +
              " subscriptions, the most allowed (serve --max-subscriptions); DELETE one first");
    }
  }
  const auto id = add_subscriber(url, batch, std::move(secret), std::move(owner));
  subs_[id]->peer = req.remote_address;
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
  s->id = subs_.size();
  s->url = std::move(url);
  s->owner = std::move(owner);
  s->secret = secret ? std::move(secret) : security::webhook_secret::generate();
  if (options_.signature == security::signature_scheme::hmac) s->hmac.emplace(*s->secret);
  s->batch = batch;
  if (batch.window > 0) s->batch_timer = std::make_unique<boost::asio::steady_timer>(ctx_.ioc);
  s->wake = std::make_unique<boost::asio::steady_timer>(ctx_.ioc);
  // It gets events from the next one on: its cursor starts at the newest logged.
  s->last_published = ctx_.log.last_seq();
  subs_.push_back(std::move(s));
  return subs_.back()->id;
}

std::string webhook_dispatcher::secret_of(std::size_t id) const {
  return subs_.at(id)->secret->to_string();
}

std::string webhook_dispatcher::public_key() const {
  return ed25519_ ? ed25519_->public_key().to_string() : std::string();
}

}  // namespace hookbench
