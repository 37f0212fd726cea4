// The SSE readers.
#include "consumer/sse_mode.hpp"

#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <iostream>

namespace hookbench {

struct sse_mode::subscriber {
  std::size_t id = 0;
  seq_t cursor = 0;  // last event id received
  bool connected_once = false;
  nanos retry = kNanosPerSecond;
  sse_parser parser;
  std::unique_ptr<http::client_connection> conn;
  std::unique_ptr<boost::asio::steady_timer> pause;
};

sse_mode::sse_mode(mode_context& ctx) : ctx_(ctx) {}
sse_mode::~sse_mode() { stop(); }

void sse_mode::start() {
  const auto& cfg = ctx_.config;
  http::client_options co;
  co.tls = cfg.tls_client;
  co.timeout = cfg.request_timeout;  // connect and head; the stream itself has no timeout
  for (std::size_t k = 0; k < cfg.subscribers; ++k) {
    auto s = std::make_unique<subscriber>();
    s->id = k;
    s->conn = std::make_unique<http::client_connection>(ctx_.ioc, cfg.producer.address, co);
    s->pause = std::make_unique<boost::asio::steady_timer>(ctx_.ioc);
    subs_.push_back(std::move(s));
  }
  for (auto& s : subs_) connect(*s);
}

void sse_mode::stop() {
  stopped_ = true;
  for (auto& s : subs_) {
    s->pause->cancel();
    s->conn->close();
  }
}

void sse_mode::connect(subscriber& s) {
  http::client_request req;
  req.target = "/stream?after=" + std::to_string(s.cursor);
  req.headers = ctx_.config.auth();
  req.headers.emplace_back("Accept", "text/event-stream");
  if (s.connected_once) {
    // What a reconnecting EventSource sends: the server resumes after this id.
    req.headers.emplace_back("Last-Event-ID", std::to_string(s.cursor));
    ++reconnects_;
  }
  s.connected_once = true;
  s.parser = {};
  if (ctx_.window.contains(now_ns())) connects_.add(0, 0);
  http::stream_callbacks cb;
  cb.on_head = [this](unsigned status, const http::header_list&) {
    if (status != 200) {
      ++failed_;
      std::cerr << "hookbench client: stream answered HTTP " << status << "\n";
    }
  };
  cb.on_data = [this, &s](std::string_view data) {
    const nanos now = now_ns();
    if (ctx_.window.contains(now)) bytes_.bytes_received += data.size();
    s.parser.feed(
        data, [&](const sse_parser::message& m) { on_message(s, m); },
        [&](std::string_view) { ++heartbeats_; },
        [&](std::uint64_t ms) { s.retry = static_cast<nanos>(ms) * kNanosPerMilli; });
  };
  cb.on_end = [this, &s](boost::system::error_code ec) {
    if (stopped_) return;
    if (ec && ctx_.window.contains(now_ns())) ++failed_;
    reconnect_later(s);
  };
  s.conn->async_stream(std::move(req), std::move(cb));
}

void sse_mode::on_message(subscriber& s, const sse_parser::message& m) {
  const nanos parsed = now_ns();
  if (m.event == "gap") {
    // The events it names are gone for this subscriber: they show as lost in the report.
    ++gaps_;
    std::cerr << "hookbench client: stream " << s.id << " fell out of retention: " << m.data
              << "\n";
    return;
  }
  std::string error;
  auto stamp = parse_event_json(m.data, error);
  std::uint64_t id = 0;
  if (!stamp || !try_parse_u64(m.id, id) || id != stamp->seq) {
    ++malformed_;
    return;
  }
  ++messages_;
  s.cursor = std::max(s.cursor, id);
  ctx_.tracker.record(s.id, *stamp, parsed);
}

void sse_mode::reconnect_later(subscriber& s) {
  s.pause->expires_after(std::chrono::nanoseconds(s.retry));
  s.pause->async_wait([this, &s](const boost::system::error_code& ec) {
    if (!ec && !stopped_) connect(s);
  });
}

traffic_by_kind sse_mode::requests() const {
  if (connects_.requests == 0) return {};
  return {{"sse_connect", connects_}};
}

nlohmann::json sse_mode::stats() const {
  return {{"messages", messages_}, {"heartbeats", heartbeats_}, {"reconnects", reconnects_},
          {"gaps", gaps_},         {"failed", failed_},         {"malformed", malformed_}};
}

}  // namespace hookbench
