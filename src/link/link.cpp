// The WAN link emulator: an Asio TCP proxy run by one thread, which serialises every handler
// (each connection's strand). A connection is two halves, one per direction, each a queue of
// timed chunks: read -> stamp (bandwidth, delay, jitter) -> wait until its release -> write.
#include "link/link.hpp"

#include <pthread.h>
#include <sched.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <deque>
#include <iostream>
#include <list>
#include <mutex>
#include <nlohmann/json.hpp>
#include <random>
#include <stdexcept>
#include <thread>
#include <vector>

namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace hookbench {

namespace detail {

class link_session;

struct link_route {
  explicit link_route(net::io_context& ioc) : acceptor(ioc) {}
  tcp::acceptor acceptor;
  host_port listen;
  std::optional<tcp::endpoint> target;               // io thread
  std::string target_text;                           // under the link's mutex
  std::vector<std::weak_ptr<link_session>> waiting;  // accepted before the target was known
  nanos departure[2] = {0, 0};  // the bandwidth limit's clock per direction (io thread)
  std::atomic<std::uint64_t> connections{0}, refused{0}, resets{0}, connect_failures{0};
  std::atomic<std::uint64_t> over_cap{0}, idle_closed{0};  // max_connections, idle_timeout
  std::atomic<std::uint64_t> bytes[2] = {0, 0};
  std::atomic<std::size_t> peak_buffered{0};
};

}  // namespace detail

struct wan_link::impl {
  explicit impl(const link_config& c) : config(c), rng(c.seed) {}
  const link_config& config;
  net::io_context ioc{1};
  std::optional<net::executor_work_guard<net::io_context::executor_type>> work;
  std::thread thread;
  std::vector<std::unique_ptr<detail::link_route>> routes;
  std::vector<std::weak_ptr<detail::link_session>> sessions;  // io thread
  std::list<net::steady_timer> cut_timers;                    // io thread
  nanos cut_until = 0;                                        // io thread
  std::size_t open = 0;  // sessions alive, for max_connections (io thread)
  std::atomic<std::uint64_t> cuts{0};
  std::atomic<bool> realtime{false};
  std::mt19937_64 rng;
  mutable std::mutex mutex;  // route target texts
  bool started = false, stopped = false;

  nanos jitter(nanos j) {
    if (j <= 0) return 0;
    return std::uniform_int_distribution<nanos>(-j, j)(rng);
  }
  void accept(detail::link_route& r);
  void start_cut(nanos length);
  void track(const std::shared_ptr<detail::link_session>& s);
};

namespace detail {

namespace {

constexpr std::size_t kChunk = 16 * 1024;
// With a bandwidth limit, chunks of about one segment, so that a long transfer trickles out as
// it would on the wire instead of in 16 KiB lumps.
constexpr std::size_t kLimitedChunk = 1448;

void reset(tcp::socket& s) {
  boost::system::error_code ec;
  if (!s.is_open()) return;
  s.set_option(net::socket_base::linger(true, 0), ec);
  s.close(ec);
}

}  // namespace

// One proxied connection: `client_` was accepted, `server_` connects to the route's target.
class link_session : public std::enable_shared_from_this<link_session> {
 public:
  link_session(wan_link::impl& link, link_route& route, tcp::socket client)
      : link_(link),
        route_(route),
        client_(std::move(client)),
        server_(client_.get_executor()),
        halves_{half(client_, server_, link.config.forward, 0),
                half(server_, client_, link.config.backward, 1)},
        idle_timer_(client_.get_executor()),
        accepted_(now_ns()),
        last_active_(accepted_) {
    ++link_.open;
  }
  ~link_session() { --link_.open; }
  link_session(const link_session&) = delete;
  link_session& operator=(const link_session&) = delete;

  void start() {
    boost::system::error_code ec;
    client_.set_option(tcp::no_delay(true), ec);
    watch_idle();
    do_read(halves_[0]);
    if (route_.target) {
      connect();
    } else {
      route_.waiting.push_back(weak_from_this());
    }
  }

  void connect() {
    if (closed_) return;
    server_.async_connect(
        *route_.target,
        [self = shared_from_this()](boost::system::error_code ec) { self->on_connect(ec); });
  }

  // RST on both sides: what a cut does, and what a failure on either side passes on.
  void abort() {
    if (closed_) return;
    closed_ = true;
    idle_timer_.cancel();
    for (auto& h : halves_) h.timer.cancel();
    reset(client_);
    reset(server_);
  }
  bool closed() const { return closed_; }
  // A cut: counted on the route, then RST both ways.
  void cut() {
    if (closed_) return;
    ++route_.resets;
    abort();
  }

 private:
  struct chunk {
    nanos release;
    std::vector<char> data;
  };
  struct half {
    half(tcp::socket& f, tcp::socket& t, const link_direction& p, int d)
        : from(f), to(t), params(p), dir(d), timer(f.get_executor()) {}
    tcp::socket& from;
    tcp::socket& to;
    const link_direction& params;
    int dir;  // 0 forward, 1 backward
    net::steady_timer timer;
    std::deque<chunk> queue;
    std::size_t buffered = 0;
    nanos last_release = 0;
    bool reading = false, writing = false, eof = false, shut = false;
  };

  // Wakes once per idle_timeout and closes the connection if nothing moved since the last
  // byte: one timer per connection, not one reset per read.
  void watch_idle() {
    const nanos timeout = link_.config.idle_timeout;
    if (timeout <= 0 || closed_) return;
    idle_timer_.expires_at(steady_time_of(last_active_ + timeout));
    idle_timer_.async_wait([self = shared_from_this(), timeout](boost::system::error_code ec) {
      if (ec || self->closed_) return;
      if (now_ns() - self->last_active_ >= timeout) {
        ++self->route_.idle_closed;
        return self->abort();
      }
      self->watch_idle();
    });
  }

  void on_connect(boost::system::error_code ec) {
    if (closed_) return;
    if (ec) {
      ++route_.connect_failures;
      abort();
      return;
    }
    server_.set_option(tcp::no_delay(true), ec);
    connected_ = true;
    do_read(halves_[1]);
    do_write(halves_[0]);
    maybe_shut(halves_[0]);
  }

  void do_read(half& h) {
    if (h.reading || h.eof || closed_ || h.buffered >= link_.config.buffer_limit) return;
    h.reading = true;
    auto buf = std::make_shared<std::vector<char>>(h.params.rate_bps > 0 ? kLimitedChunk : kChunk);
    h.from.async_read_some(net::buffer(*buf), [self = shared_from_this(), &h, buf](
                                                  boost::system::error_code ec, std::size_t n) {
      h.reading = false;
      self->on_read(h, ec, n, std::move(*buf));
    });
  }

  void on_read(half& h, boost::system::error_code ec, std::size_t n, std::vector<char> data) {
    if (closed_) return;
    if (ec == net::error::eof) {
      h.eof = true;
      maybe_shut(h);
      return;
    }
    if (ec) {
      abort();
      return;
    }
    data.resize(n);
    nanos arrival = now_ns();
    last_active_ = arrival;
    if (h.dir == 0 && link_.config.handshake) {
      arrival = std::max(arrival, accepted_ + link_.config.round_trip());
    }
    nanos departure = arrival;
    if (h.params.rate_bps > 0) {
      nanos& clock = route_.departure[h.dir];
      departure = std::max(clock, arrival) +
                  static_cast<nanos>(static_cast<double>(n) * 8e9 / h.params.rate_bps);
      clock = departure;
    }
    const nanos delay = std::max<nanos>(0, h.params.delay + link_.jitter(h.params.jitter));
    h.last_release = std::max(h.last_release, departure + delay);
    h.queue.push_back({h.last_release, std::move(data)});
    h.buffered += n;
    route_.bytes[h.dir] += n;
    if (h.buffered > route_.peak_buffered) route_.peak_buffered = h.buffered;
    do_write(h);
    do_read(h);
  }

  void do_write(half& h) {
    if (h.writing || h.queue.empty() || closed_ || !connected_) return;
    h.writing = true;
    if (h.queue.front().release > now_ns()) {
      h.timer.expires_at(steady_time_of(h.queue.front().release));
      h.timer.async_wait([self = shared_from_this(), &h](boost::system::error_code ec) {
        h.writing = false;
        if (!ec) self->do_write(h);
      });
      return;
    }
    net::async_write(h.to, net::buffer(h.queue.front().data),
                     [self = shared_from_this(), &h](boost::system::error_code ec, std::size_t) {
                       h.writing = false;
                       self->on_write(h, ec);
                     });
  }

  void on_write(half& h, boost::system::error_code ec) {
    if (closed_) return;
    if (ec) {
      abort();
      return;
    }
    h.buffered -= h.queue.front().data.size();
    h.queue.pop_front();
    do_write(h);
    do_read(h);
    maybe_shut(h);
  }

  // A side that finished sending: pass its FIN on once everything it sent has been released.
  void maybe_shut(half& h) {
    if (closed_ || !h.eof || h.shut || h.writing || !h.queue.empty() || !connected_) return;
    h.shut = true;
    boost::system::error_code ec;
    h.to.shutdown(tcp::socket::shutdown_send, ec);
    if (halves_[0].shut && halves_[1].shut) {
      closed_ = true;
      idle_timer_.cancel();
      client_.close(ec);
      server_.close(ec);
    }
  }

  wan_link::impl& link_;
  link_route& route_;
  tcp::socket client_, server_;
  half halves_[2];
  net::steady_timer idle_timer_;
  nanos accepted_;
  nanos last_active_;  // the last read on either side
  bool connected_ = false, closed_ = false;
};

}  // namespace detail

void wan_link::impl::track(const std::shared_ptr<detail::link_session>& s) {
  // Forget finished sessions now and then, so the list stays the size of the live ones.
  if (sessions.size() >= 64 && sessions.size() == sessions.capacity()) {
    std::erase_if(sessions, [](const auto& w) {
      auto p = w.lock();
      return !p || p->closed();
    });
  }
  sessions.push_back(s);
}

void wan_link::impl::accept(detail::link_route& r) {
  r.acceptor.async_accept([this, &r](boost::system::error_code ec, tcp::socket socket) {
    if (ec == net::error::operation_aborted || !r.acceptor.is_open()) return;
    if (ec) {
      // Out of descriptors or similar: the connection stays in the backlog, so accepting again
      // at once would spin (at real-time priority). Wait 50 ms first.
      auto t = std::make_shared<net::steady_timer>(ioc, std::chrono::milliseconds(50));
      t->async_wait([this, &r, t](boost::system::error_code wait_ec) {
        if (!wait_ec && r.acceptor.is_open()) accept(r);
      });
      return;
    }
    if (now_ns() < cut_until) {
      ++r.refused;
      detail::reset(socket);
    } else if (open >= config.max_connections) {
      ++r.over_cap;
      detail::reset(socket);
    } else {
      ++r.connections;
      auto s = std::make_shared<detail::link_session>(*this, r, std::move(socket));
      track(s);
      s->start();
    }
    accept(r);
  });
}

void wan_link::impl::start_cut(nanos length) {
  ++cuts;
  cut_until = std::max(cut_until, now_ns() + length);
  for (auto& w : sessions) {
    if (auto s = w.lock(); s && !s->closed()) {
      s->cut();
    }
  }
  sessions.clear();
}

wan_link::wan_link(link_config config)
    : config_(std::move(config)), impl_(std::make_unique<impl>(config_)) {}

wan_link::~wan_link() { stop(); }

std::size_t wan_link::add_route(const host_port& listen, std::optional<host_port> target) {
  if (impl_->started) throw std::logic_error("wan_link::add_route after start()");
  auto r = std::make_unique<detail::link_route>(impl_->ioc);
  r->listen = listen;
  try {
    const tcp::endpoint ep(net::ip::make_address(listen.host), listen.port);
    r->acceptor.open(ep.protocol());
    r->acceptor.set_option(net::socket_base::reuse_address(true));
    r->acceptor.bind(ep);
    r->acceptor.listen(net::socket_base::max_listen_connections);
  } catch (const std::exception& e) {
    throw std::runtime_error("link: cannot listen on " + listen.to_string() + ": " + e.what());
  }
  r->listen.port = r->acceptor.local_endpoint().port();
  impl_->routes.push_back(std::move(r));
  const std::size_t index = impl_->routes.size() - 1;
  if (target) set_target(index, *target);
  return index;
}

void wan_link::set_target(std::size_t route, const host_port& target) {
  auto& r = *impl_->routes.at(route);
  tcp::endpoint ep;
  try {
    net::io_context resolver_ioc;
    tcp::resolver resolver(resolver_ioc);
    ep = *resolver.resolve(target.host, std::to_string(target.port)).begin();
  } catch (const std::exception& e) {
    throw std::runtime_error("link: cannot resolve " + target.to_string() + ": " + e.what());
  }
  {
    std::lock_guard lock(impl_->mutex);
    r.target_text = target.to_string();
  }
  auto apply = [&r, ep] {
    r.target = ep;
    for (auto& w : r.waiting) {
      if (auto s = w.lock()) s->connect();
    }
    r.waiting.clear();
  };
  if (impl_->started) {
    net::post(impl_->ioc, apply);
  } else {
    apply();
  }
}

std::uint16_t wan_link::port(std::size_t route) const {
  return impl_->routes.at(route)->listen.port;
}

host_port wan_link::address(std::size_t route) const { return impl_->routes.at(route)->listen; }

void wan_link::start() {
  if (impl_->started) return;
  impl_->started = true;
  impl_->work.emplace(impl_->ioc.get_executor());
  for (auto& r : impl_->routes) impl_->accept(*r);
  impl_->thread = std::thread([this] {
    if (config_.realtime) {
      sched_param sp{};
      sp.sched_priority = 1;
      impl_->realtime = pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp) == 0;
    }
    for (;;) {
      try {
        impl_->ioc.run();
        return;
      } catch (const std::exception& e) {
        // A handler that threw (out of memory, a broken invariant): say so, keep serving.
        std::cerr << "hookbench link: " << e.what() << "\n";
      }
    }
  });
}

void wan_link::stop() {
  if (!impl_->started || impl_->stopped) return;
  impl_->stopped = true;
  net::post(impl_->ioc, [this] {
    boost::system::error_code ec;
    for (auto& r : impl_->routes) r->acceptor.close(ec);
    for (auto& t : impl_->cut_timers) t.cancel();
    for (auto& w : impl_->sessions) {
      if (auto s = w.lock()) s->abort();
    }
    impl_->sessions.clear();
    for (auto& r : impl_->routes) r->waiting.clear();
    impl_->work.reset();
  });
  if (impl_->thread.joinable()) impl_->thread.join();
}

void wan_link::cut(nanos length) {
  net::post(impl_->ioc, [this, length] { impl_->start_cut(length); });
}

void wan_link::cut_at(nanos at, nanos length) {
  net::post(impl_->ioc, [this, at, length] {
    auto& t = impl_->cut_timers.emplace_back(impl_->ioc);
    t.expires_at(steady_time_of(at));
    t.async_wait([this, length](boost::system::error_code ec) {
      if (!ec) impl_->start_cut(length);
    });
  });
}

nlohmann::json wan_link::stats() const {
  nlohmann::json routes = nlohmann::json::array();
  std::lock_guard lock(impl_->mutex);
  for (const auto& r : impl_->routes) {
    routes.push_back({{"listen", r->listen.to_string()},
                      {"target", r->target_text},
                      {"connections", r->connections.load()},
                      {"refused", r->refused.load()},
                      {"resets", r->resets.load()},
                      {"connect_failures", r->connect_failures.load()},
                      {"bytes_forward", r->bytes[0].load()},
                      {"bytes_backward", r->bytes[1].load()},
                      {"peak_buffered_bytes", r->peak_buffered.load()},
                      {"refused_over_cap", r->over_cap.load()},
                      {"idle_closed", r->idle_closed.load()}});
  }
  return {{"config", link_settings_json(config_)},
          {"scheduling", impl_->realtime ? "fifo" : "normal"},
          {"cuts", impl_->cuts.load()},
          {"routes", routes}};
}

nlohmann::json link_settings_json(const link_config& c) {
  return {{"rtt_ms", to_ms(c.round_trip())},
          {"jitter_ms", to_ms(std::max(c.forward.jitter, c.backward.jitter))},
          {"bandwidth_bps", std::max(c.forward.rate_bps, c.backward.rate_bps)},
          {"delay_forward_ms", to_ms(c.forward.delay)},
          {"delay_backward_ms", to_ms(c.backward.delay)},
          {"handshake", c.handshake}};
}

}  // namespace hookbench
