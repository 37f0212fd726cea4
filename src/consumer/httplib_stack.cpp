// The cpp-httplib pollers and webhook receiver. Blocking calls run on the library's threads (one
// per poller, the server's pool); every record crosses to the io thread with net::post, stamped
// on the worker when its body was parsed.
#include "consumer/httplib_stack.hpp"

#include <httplib.h>
#include <sys/socket.h>

#include <algorithm>
#include <boost/asio/post.hpp>
#include <chrono>
#include <filesystem>
#include <iostream>
#include <stdexcept>
#include <string>
#include <utility>

#include "http/client.hpp"
#include "http/message.hpp"

namespace hookbench {

namespace net = boost::asio;

httplib_settings httplib_settings_for(std::string_view stack, std::size_t subscribers) {
  // cpp-httplib serves a keep-alive connection on one pool thread for as long as it stays open,
  // so the receiver needs a thread per connection the producer may hold: --webhook-concurrency
  // per subscriber (4 by default, 16 the most this suite's runs use). A connection beyond the
  // pool waits in its queue until another closes. At least the library's default (8 on 2 cores),
  // at most 512.
  constexpr std::size_t kThreadsPerSubscriber = 16, kMinThreads = 8, kMaxThreads = 512;
  httplib_settings s;
  s.server_threads = std::clamp(subscribers * kThreadsPerSubscriber, kMinThreads, kMaxThreads);
  if (stack == "httplib-nodelay") {
    s.tcp_nodelay = true;
    // Connections reused for the whole run: the library's 5 would open a new one every 5th POST.
    s.keep_alive_max_count = 1'000'000;
  } else {
    // "httplib" is what a user gets: Nagle on (a write that follows an unacknowledged one waits
    // for the peer's delayed ACK, ~40 ms), and the library's keep-alive max count, 5: the server
    // closes a connection after its 5th request, so every 5th POST opens a new one.
    s.tcp_nodelay = false;
    s.keep_alive_max_count = 5;
  }
  return s;
}

namespace detail {
namespace {

std::size_t header_bytes(const httplib::Headers& headers) {
  std::size_t n = 2;  // the blank line
  for (const auto& [name, value] : headers) {
    // The server's request carries the peer's and its own address as pseudo-headers.
    if (name == "REMOTE_ADDR" || name == "REMOTE_PORT" || name == "LOCAL_ADDR" ||
        name == "LOCAL_PORT") {
      continue;
    }
    n += name.size() + 2 + value.size() + 2;
  }
  return n;
}

// The reason phrases cpp-httplib 0.11 writes (it leaves Response::reason empty on the server)
// for the statuses this receiver answers; the library's fallback is 500's.
std::string_view reason_of(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 204:
      return "No Content";
    case 400:
      return "Bad Request";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 413:
      return "Payload Too Large";
    case 414:
      return "URI Too Long";
    case 422:
      return "Unprocessable Entity";
    default:
      return "Internal Server Error";
  }
}

}  // namespace

std::size_t httplib_request_bytes(const httplib::Request& req) {
  // A client's request has a path and no version yet; a server's has the target as received.
  const std::string& target = req.target.empty() ? req.path : req.target;
  const std::size_t version = req.version.empty() ? 8 : req.version.size();  // "HTTP/1.1"
  return req.method.size() + 1 + target.size() + 1 + version + 2 + header_bytes(req.headers) +
         req.body.size();
}

std::size_t httplib_response_bytes(const httplib::Response& res) {
  const std::size_t version = res.version.empty() ? 8 : res.version.size();
  const std::size_t reason = res.reason.empty() ? reason_of(res.status).size() : res.reason.size();
  return version + 1 + 3 + 1 + reason + 2 + header_bytes(res.headers) + res.body.size();
}

}  // namespace detail

namespace {

template <class Setter>
void set_timeouts(Setter& s, nanos timeout) {
  const std::chrono::nanoseconds t(timeout);
  s.set_read_timeout(t);
  s.set_write_timeout(t);
}

}  // namespace

// --- pollers -----------------------------------------------------------------------------------

struct httplib_poll_mode::poller {
  std::size_t id = 0;
  nanos phase = 0;
  std::uint64_t slot = 0;  // index of the next scheduled poll
  seq_t cursor = 0;        // last event seen
  std::unique_ptr<httplib::Client> client;
  std::size_t bytes_sent = 0, bytes_received = 0;  // the last exchange's, from the client's logger
  std::thread thread;
};

// One poll, as the poller saw it; apply() does on the io thread what poll_mode does on answer.
struct httplib_poll_mode::poll_record {
  enum class kind { events, failed, bad_body, expired, bad_status };
  kind outcome = kind::failed;
  std::size_t poller = 0;
  nanos scheduled_ns = 0, sent_ns = 0, parsed_ns = 0;
  bool follow_up = false;
  std::uint64_t missed = 0;  // slots given up just before this poll
  std::size_t bytes_sent = 0, bytes_received = 0;
  std::vector<event_stamp> events;
  seq_t expired_from = 0, oldest = 0;  // 410: events expired_from..oldest-1 are lost
  int status = 0;
  std::string error;  // failed, bad_body, bad_status: what to say
};

httplib_poll_mode::httplib_poll_mode(mode_context& ctx)
    : ctx_(ctx), settings_(httplib_settings_for(ctx.config.stack, ctx.config.subscribers)) {}
httplib_poll_mode::~httplib_poll_mode() { stop(); }

void httplib_poll_mode::start() {
  const auto& cfg = ctx_.config;
  late_threshold_ = late_poll_threshold(cfg.interval);
  base_ns_ = now_ns() + 10 * kNanosPerMilli;
  for (std::size_t k = 0; k < cfg.subscribers; ++k) {
    auto p = std::make_unique<poller>();
    p->id = k;
    p->phase = static_cast<nanos>(static_cast<long double>(cfg.interval) * k / cfg.subscribers);
    p->client =
        std::make_unique<httplib::Client>(cfg.producer.address.host, cfg.producer.address.port);
    p->client->set_keep_alive(true);
    if (!cfg.token.empty()) p->client->set_bearer_token_auth(cfg.token);
    p->client->set_tcp_nodelay(settings_.tcp_nodelay);
    p->client->set_connection_timeout(std::chrono::nanoseconds(cfg.request_timeout));
    set_timeouts(*p->client, cfg.request_timeout);
    // Called on the poller's thread inside Get(), with the request as written and the response
    // as read.
    p->client->set_logger([q = p.get()](const httplib::Request& req, const httplib::Response& res) {
      q->bytes_sent = detail::httplib_request_bytes(req);
      q->bytes_received = detail::httplib_response_bytes(res);
    });
    pollers_.push_back(std::move(p));
  }
  for (auto& p : pollers_) p->thread = std::thread([this, q = p.get()] { run(*q); });
}

void httplib_poll_mode::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  // Aborts an exchange in flight; one that starts after this is bounded by the timeouts.
  for (auto& p : pollers_) p->client->stop();
  for (auto& p : pollers_) {
    if (p->thread.joinable()) p->thread.join();
  }
}

bool httplib_poll_mode::sleep_until(nanos t) {
  std::unique_lock lock(mutex_);
  return !wake_.wait_until(lock, steady_time_of(t), [this] { return stopping_; });
}

bool httplib_poll_mode::stopping() {
  std::lock_guard lock(mutex_);
  return stopping_;
}

// poll_mode's schedule on a blocking client: slot i at base + phase + i*T. A slot whose time
// passed by a whole interval is skipped (counted missed); of the slots that come while a poll
// is in flight, the latest is polled as soon as it ends and the older ones are missed.
void httplib_poll_mode::run(poller& p) {
  const nanos interval = ctx_.config.interval;
  auto slot_time = [&](std::uint64_t i) {
    return base_ns_ + p.phase + static_cast<nanos>(i) * interval;
  };
  while (true) {
    const nanos slot_ns = slot_time(p.slot);
    if (!sleep_until(slot_ns)) return;
    const nanos now = now_ns();
    ++p.slot;
    std::uint64_t missed = 0;
    if (now - slot_ns >= interval) {
      missed = static_cast<std::uint64_t>((now - slot_ns) / interval);
      p.slot += missed;
    }
    nanos scheduled = slot_ns;
    while (true) {
      bool more = true, follow_up = false;
      while (more) {
        if (!exchange(p, follow_up ? now_ns() : scheduled, follow_up, missed, more)) return;
        follow_up = true;
        missed = 0;
      }
      const nanos after = now_ns(), next = slot_time(p.slot);
      if (after < next) break;
      const auto passed = static_cast<std::uint64_t>((after - next) / interval) + 1;
      missed = passed - 1;
      p.slot += passed;
      scheduled = slot_time(p.slot - 1);
    }
  }
}

bool httplib_poll_mode::exchange(poller& p, nanos scheduled_ns, bool follow_up,
                                 std::uint64_t missed, bool& more) {
  more = false;
  poll_record r;
  r.poller = p.id;
  r.scheduled_ns = scheduled_ns;
  r.follow_up = follow_up;
  r.missed = missed;
  std::string target = ctx_.config.producer.target;
  if (target.empty() || target == "/") target = "/events";
  target +=
      "?after=" + std::to_string(p.cursor) + "&limit=" + std::to_string(ctx_.config.poll_limit);
  p.bytes_sent = p.bytes_received = 0;
  r.sent_ns = now_ns();
  auto res = p.client->Get(target);
  r.bytes_sent = p.bytes_sent;
  r.bytes_received = p.bytes_received;
  if (!res) {
    if (stopping()) return false;  // stop() aborted it: not the stack's failure
    r.outcome = poll_record::kind::failed;
    r.error = httplib::to_string(res.error());
  } else if (res->status == 200) {
    auto batch = parse_batch_json(res->body, r.error);
    r.parsed_ns = now_ns();
    if (!batch) {
      r.outcome = poll_record::kind::bad_body;
    } else {
      r.outcome = poll_record::kind::events;
      p.cursor = std::max(p.cursor, batch->next);
      more = batch->events.size() >= ctx_.config.poll_limit;
      r.events = std::move(batch->events);
    }
  } else if (res->status == 410) {
    // Events after our cursor were evicted (lost, counted); resume from the oldest retained.
    const seq_t oldest = oldest_retained(res->body, p.cursor);
    r.outcome = poll_record::kind::expired;
    r.expired_from = p.cursor + 1;
    r.oldest = oldest;
    p.cursor = oldest - 1;
    more = true;
  } else {
    r.outcome = poll_record::kind::bad_status;
    r.status = res->status;
    r.error = res->body;
  }
  net::post(ctx_.ioc, [this, r = std::move(r)] { apply(r); });
  return !stopping();
}

void httplib_poll_mode::apply(const poll_record& r) {
  const bool counted = ctx_.window.contains(r.sent_ns);
  if (counted) missed_ += r.missed;
  if (!r.follow_up && r.sent_ns - r.scheduled_ns > late_threshold_ && counted) ++late_;
  if (r.follow_up && counted) ++follow_ups_;
  ++polls_total_;
  if (counted) traffic_.add(r.bytes_sent, r.bytes_received);
  switch (r.outcome) {
    case poll_record::kind::events:
      if (ctx_.trace) ctx_.trace->poll(r.sent_ns, r.parsed_ns, r.poller, r.events.size());
      for (const auto& e : r.events) ctx_.tracker.record(r.poller, e, r.parsed_ns);
      if (r.events.empty() && counted) ++empty_;
      break;
    case poll_record::kind::failed:
      if (counted) ++failed_;
      if (failed_ == 1) {
        std::cerr << "hookbench client: poll failed: " << r.error
                  << " (counted; further failures are counted silently)\n";
      }
      break;
    case poll_record::kind::bad_body:
      if (counted) ++failed_;
      std::cerr << "hookbench client: bad poll response: " << r.error << "\n";
      break;
    case poll_record::kind::expired:
      ++expired_cursors_;
      expired_events_ += r.oldest - r.expired_from;
      if (expired_cursors_ == 1) {
        std::cerr << "hookbench client: subscriber " << r.poller
                  << " fell behind the retention: events " << r.expired_from << ".." << r.oldest - 1
                  << " are LOST\n";
      }
      break;
    case poll_record::kind::bad_status:
      if (counted) ++failed_;
      std::cerr << "hookbench client: poll answered HTTP " << r.status << ": " << r.error << "\n";
      break;
  }
}

traffic_by_kind httplib_poll_mode::requests() const {
  if (traffic_.requests == 0) return {};
  return {{"poll", traffic_}};
}

nlohmann::json httplib_poll_mode::stats() const {
  return {{"polls", traffic_.requests},
          {"empty_polls", empty_},
          {"late_polls", late_},
          {"missed_polls", missed_},
          {"follow_up_polls", follow_ups_},
          {"failed", failed_},
          {"expired_cursors", expired_cursors_},
          {"expired_events", expired_events_},
          {"polls_total", polls_total_},
          {"late_threshold_ms", to_ms(late_threshold_)}};
}

// --- webhook receiver --------------------------------------------------------------------------

namespace {

// When the pool thread answering a request had it read: set by the handler, taken by the logger
// that the library calls on the same thread once the response is written (0: the library
// answered on its own, e.g. a malformed request).
thread_local nanos t_received_ns = 0;

void reply(httplib::Response& res, const http::response& r) {
  res.status = static_cast<int>(r.status);
  for (const auto& [name, value] : r.headers) res.set_header(name, value);
  if (!r.body.empty()) res.set_content(r.body, r.content_type);
}

// cpp-httplib 0.11's stop() closes only the listener: a pool thread then waits in its
// keep-alive loop for up to the keep-alive timeout (5 s) on an idle connection. Shutting the
// receiver's accepted sockets down (found by their local port) ends every one at once.
void shutdown_connections(std::uint16_t port) {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd", ec)) {
    int fd = -1;
    try {
      fd = std::stoi(entry.path().filename().string());
    } catch (const std::exception&) {
      continue;
    }
    sockaddr_storage local{}, peer{};
    socklen_t local_len = sizeof local, peer_len = sizeof peer;
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&local), &local_len) != 0) continue;
    if (getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &peer_len) != 0) continue;
    std::uint16_t local_port = 0;
    if (local.ss_family == AF_INET) {
      local_port = ntohs(reinterpret_cast<sockaddr_in*>(&local)->sin_port);
    } else if (local.ss_family == AF_INET6) {
      local_port = ntohs(reinterpret_cast<sockaddr_in6*>(&local)->sin6_port);
    }
    if (local_port == port) shutdown(fd, SHUT_RDWR);
  }
}

}  // namespace

httplib_webhook_mode::httplib_webhook_mode(mode_context& ctx)
    : ctx_(ctx),
      settings_(httplib_settings_for(ctx.config.stack, ctx.config.subscribers)),
      signatures_(ctx.config.signature) {}

httplib_webhook_mode::~httplib_webhook_mode() { close(); }

void httplib_webhook_mode::setup() {
  const auto& cfg = ctx_.config;
  server_ = std::make_unique<httplib::Server>();
  server_->set_tcp_nodelay(settings_.tcp_nodelay);
  server_->set_keep_alive_max_count(settings_.keep_alive_max_count);
  const std::size_t threads = settings_.server_threads;
  server_->new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  set_timeouts(*server_, cfg.request_timeout);
  server_->set_payload_max_length(1024 * 1024);  // webhook_mode's body limit
  // Every method on every path comes to handle(), which answers 404/405 as webhook_mode does.
  const httplib::Server::Handler h = [this](const httplib::Request& req, httplib::Response& res) {
    handle(req, res);
  };
  server_->Get(".*", h).Post(".*", h).Put(".*", h).Patch(".*", h).Delete(".*", h).Options(".*", h);
  server_->set_logger([this](const httplib::Request& req, const httplib::Response& res) {
    const nanos received = t_received_ns != 0 ? std::exchange(t_received_ns, 0) : now_ns();
    const std::size_t in = detail::httplib_request_bytes(req);
    const std::size_t out = detail::httplib_response_bytes(res);
    const auto status = static_cast<unsigned>(res.status);
    net::post(ctx_.ioc, [this, received, in, out, status] {
      if (status >= 400) ++counts_.rejected[status];
      if (ctx_.window.contains(received)) traffic_.add(out, in);
    });
  });
  const int port =
      cfg.listen.port == 0
          ? server_->bind_to_any_port(cfg.listen.host)
          : (server_->bind_to_port(cfg.listen.host, cfg.listen.port) ? cfg.listen.port : -1);
  if (port <= 0) throw std::runtime_error("cannot listen on " + cfg.listen.to_string());
  port_ = static_cast<std::uint16_t>(port);
  listener_ = std::thread([this] { server_->listen_after_bind(); });
  // stop() is a no-op until the listener runs; 0.11 has no wait_until_ready().
  const nanos deadline = now_ns() + 5 * kNanosPerSecond;
  while (!server_->is_running()) {
    if (now_ns() > deadline) throw std::runtime_error("the cpp-httplib receiver did not start");
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }

  register_subscriptions(cfg, port_, false, signatures_);
}

void httplib_webhook_mode::stop() {
  // Lingering (client --linger), the receiver answers on until the process exits.
  if (ctx_.config.linger <= 0) close();
}

void httplib_webhook_mode::close() {
  if (!server_ || !listener_.joinable()) return;
  server_->stop();
  shutdown_connections(port_);
  listener_.join();  // listen_after_bind() returns once the pool's threads are joined
}

// On a pool thread: everything but the tracker. The 422 answer needs the tracker's verdict
// before the record reaches it, so it is taken from the range that verdict uses (seq_limit(),
// fixed before the receiver starts); the record itself goes to the io thread.
void httplib_webhook_mode::handle(const httplib::Request& req, httplib::Response& res) {
  t_received_ns = now_ns();
  const auto route = route_hook(req.path, req.method, ctx_.config.subscribers);
  if (route.refusal) return reply(res, *route.refusal);
  const std::size_t k = route.subscriber;
  // Unsigned, forged, stale or replayed: refused before anything is parsed or recorded.
  if (auto verdict = signatures_.check(k, req.get_header_value("webhook-id"),
                                       req.get_header_value("webhook-timestamp"),
                                       req.get_header_value("webhook-signature"), req.body);
      verdict != security::reject_reason::accepted) {
    return reply(res, signature_rejection(verdict));
  }
  std::string error;
  auto stamp = parse_event_json(req.body, error);
  const nanos parsed = now_ns();
  if (!stamp) {
    net::post(ctx_.ioc, [this] { ++counts_.malformed; });
    return reply(res, http::json_error(400, error));
  }
  net::post(ctx_.ioc, [this, k, e = *stamp, parsed] { record(k, e, parsed); });
  const bool known = ctx_.tracker.window_known();
  const seq_t limit = ctx_.tracker.seq_limit();
  if (stamp->seq == 0 || (known && stamp->seq > limit)) {
    return reply(res,
                 http::json_error(422, "event id " + std::to_string(stamp->seq) +
                                           " outside the producer's range 1.." +
                                           (known ? std::to_string(limit) : std::string("N"))));
  }
  if (ctx_.config.tuning.ack == "json") {
    // A body written after the headers: with Nagle on (the library's default) it waits for the
    // producer's delayed ACK, the stall this knob exists to show.
    res.status = 200;
    res.set_content("{\"received\":1}", "application/json");
    return;
  }
  res.status = 204;
}

void httplib_webhook_mode::record(std::size_t subscriber, const event_stamp& e, nanos parsed_ns) {
  if (!counts_.count(ctx_.tracker.record(subscriber, e, parsed_ns))) {
    ++counts_.out_of_range;  // answered 422 by handle(), from the same range
    return;
  }
  ++counts_.received;
}

nlohmann::json httplib_webhook_mode::stats() const { return counts_.to_json(signatures_); }

}  // namespace hookbench
