// The SSE readers.
#include "consumer/sse_mode.hpp"

#include <iostream>

namespace hookbench {

// The timeout bounds the connect and the head; the stream itself has none.
sse_mode::sse_mode(mode_context& ctx)
    : stream_set(ctx, "sse_connect", producer_connection(ctx.config, ctx.config.request_timeout)) {}
sse_mode::~sse_mode() { stop(); }

void sse_mode::connect(detail::sse_reader& s) {
  http::client_request req;
  req.target = "/stream?after=" + std::to_string(s.cursor);
  req.headers = ctx_.config.auth();
  req.headers.emplace_back("Accept", "text/event-stream");
  if (count_open(s)) {
    // What a reconnecting EventSource sends: the server resumes after this id.
    req.headers.emplace_back("Last-Event-ID", std::to_string(s.cursor));
  }
  s.parser = {};
  http::stream_callbacks cb;
  cb.on_head = [this](unsigned status, const http::header_list&) {
    if (status != 200) {
      ++counts_.failed;
      std::cerr << "hookbench client: stream answered HTTP " << status << "\n";
    }
  };
  cb.on_data = [this, &s](std::string_view data) {
    const nanos now = now_ns();
    if (ctx_.window.contains(now)) bytes_.bytes_received += data.size();
    const bool ok = s.parser.feed(
        data, [&](const sse_parser::message& m) { on_message(s, m); },
        [&](std::string_view) { ++counts_.heartbeats; },
        [&](std::uint64_t ms) { s.retry = static_cast<nanos>(ms) * kNanosPerMilli; });
    if (!ok && s.conn->busy()) {
      // A server that never ends a line or a message: the stream is dropped (and counted as
      // failed when it ends), then opened again from the cursor.
      std::cerr << "hookbench client: stream " << s.id << " closed: " << s.parser.error() << "\n";
      s.conn->close();
    }
  };
  cb.on_end = [this, &s](boost::system::error_code ec) {
    if (stopped_) return;
    if (ec && ctx_.window.contains(now_ns())) ++counts_.failed;
    reconnect_after(s, s.retry);
  };
  s.conn->async_stream(std::move(req), std::move(cb));
}

void sse_mode::on_message(detail::sse_reader& s, const sse_parser::message& m) {
  const nanos parsed = now_ns();
  if (m.event == "gap") {
    // The events it names are gone for this subscriber: they show as lost in the report.
    ++counts_.gaps;
    std::cerr << "hookbench client: stream " << s.id << " fell out of retention: " << m.data
              << "\n";
    return;
  }
  std::string error;
  auto stamp = parse_event_json(m.data, error);
  std::uint64_t id = 0;
  if (!stamp || !try_parse_u64(m.id, id) || id != stamp->seq) {
    ++counts_.malformed;
    return;
  }
  ++counts_.messages;
  s.cursor = std::max(s.cursor, id);
  ctx_.tracker.record(s.id, *stamp, parsed);
}

}  // namespace hookbench
