// The state file: the live subscriptions and each one's delivered cursor, written atomically (a
// temporary file renamed over the old one) and read back at construction, when every logged event
// past a cursor is queued again, so that a producer restart loses no delivery. Ended subscriptions
// are not written: the file grows with the subscriptions held, not with every one ever made.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <limits>
#include <nlohmann/json.hpp>

#include "core/private_files.hpp"
#include "producer/webhook_state_file.hpp"
#include "producer/webhook_subscriber.hpp"
#include "security/token.hpp"

namespace hookbench {

seq_t webhook_dispatcher::delivered_through(const subscriber& s) const {
  seq_t through = s.last_published;
  if (!s.outstanding.empty()) through = std::min(through, *s.outstanding.begin() - 1);
  if (s.open_events > 0) through = std::min(through, s.open_first - 1);
  return through;
}

void webhook_dispatcher::mark_dirty() {
  if (options_.state_path.empty()) return;
  dirty_ = true;
  if (state_timer_armed_) return;
  state_timer_armed_ = true;
  state_timer_->expires_after(std::chrono::milliseconds(50));
  state_timer_->async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    state_timer_armed_ = false;
    if (dirty_) save_state(false);
  });
}

bool webhook_dispatcher::save_state(bool durable) {
  if (options_.state_path.empty()) return true;
  dirty_ = false;
  auto subs = nlohmann::json::array();
  for (const auto& [id, s] : subs_) {
    if (!s->active) continue;
    subs.push_back({{"id", s->id},
                    {"url", s->url.to_string()},
                    {"owner_hash", s->owner},
                    {"peer", s->peer},
                    {"secret", s->secret->to_string()},
                    {"batch_window_ns", s->batch.window},
                    {"batch_max", s->batch.max},
                    {"delivered_through", delivered_through(*s)}});
  }
  nlohmann::json j{{"version", 1},
                   {"next_id", next_id_},  // ids are never reused, across restarts too
                   {"signature", security::to_string(options_.signature)},
                   {"max_timestamp", std::max(max_ts_, ts_floor_)},
                   {"subscriptions", std::move(subs)}};
  // The key pair is the producer's identity to its receivers: a restart keeps it.
  if (ed25519_) j["ed25519_secret_key"] = ed25519_->secret_key_string();
  const std::string text = j.dump();
  const std::string tmp = options_.state_path + ".tmp";
  // Written whole to a temporary file (flushed to disk when durable), then renamed over the old
  // one: a crash leaves the old state or the new, never half of one.
  // New each time (0600, O_EXCL, never through a link: the file holds every secret).
  const int fd = create_private_file(tmp);
  bool ok = fd >= 0 && write_all(fd, text);
  if (ok && durable) ok = ::fsync(fd) == 0;
  if (fd >= 0) ::close(fd);
  if (ok) ok = ::rename(tmp.c_str(), options_.state_path.c_str()) == 0;
  if (!ok) {
    if (state_errors_++ == 0) {
      std::cerr << "hookbench serve: cannot write the webhook state file " << options_.state_path
                << ": " << std::strerror(errno) << " (counted as state_errors; serving on)\n";
    }
    mark_dirty();  // tried again in 50 ms
  }
  return ok;
}

void webhook_dispatcher::load_owner_key() {
  if (options_.state_path.empty()) {
    owner_key_ = security::random_token(32);
    return;
  }
  const auto dir = std::filesystem::path(options_.state_path).parent_path();
  const std::string path = (dir.empty() ? std::filesystem::path(".") : dir) / "owner.key";
  owner_key_ = read_or_create_secret(path, [] { return security::random_token(32); });
}

void webhook_dispatcher::restore_state() {
  std::ifstream in(options_.state_path);
  if (!in) return;  // first start
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  saved_webhook_state saved;
  try {
    saved = parse_webhook_state(text, options_.signature, [&](std::string_view token) {
      return security::keyed_hash(owner_key_, token);
    });
    if (ed25519_) ed25519_ = security::ed25519_signer::parse(saved.ed25519_secret_key);
  } catch (const std::exception& e) {
    throw std::runtime_error("webhook state file " + options_.state_path + ": " + e.what());
  }
  ts_floor_ = saved.max_timestamp + 2;
  for (auto& item : saved.subscriptions) {
    // Files written before ended subscriptions were left out still list them: skipped.
    if (!item.active || item.gone) continue;
    next_id_ = item.id;  // ids are kept: receivers know their subscription by it
    const std::size_t id = add_subscriber(std::move(item.url), item.batch, std::move(item.secret),
                                          std::move(item.owner));
    subscriber& s = *subs_.at(id);
    s.peer = std::move(item.peer);
    // Held before the restart: taken again whatever the caps say now.
    if (ctx_.caps) s.held = ctx_.caps->claim(holding_kind::subscription, s.owner);
    const seq_t through = item.delivered_through;
    s.last_published = through;
    ++stats_.restored_subscriptions;
    // Every logged event past the cursor goes again; those the log no longer holds are
    // dead letters ("evicted"), counted.
    seq_t after = through;
    if (ctx_.log.size() > 0 && after + 1 < ctx_.log.oldest_seq()) {
      delivery lost;
      lost.seq = after + 1;
      lost.events = static_cast<std::size_t>(ctx_.log.oldest_seq() - after - 1);
      dead_letter(s, lost, "evicted");
      after = ctx_.log.oldest_seq() - 1;
    }
    const auto r = ctx_.log.read_after(after, std::numeric_limits<std::size_t>::max());
    for (const event* e : r.events) {
      publish_to(s, *e, std::make_shared<const std::string>(event_json(*e)));
      ++stats_.requeued_after_restart;
    }
  }
  next_id_ = std::max(next_id_, saved.next_id);
}

}  // namespace hookbench
