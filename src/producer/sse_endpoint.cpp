// The server-sent events endpoint.
#include "producer/sse_endpoint.hpp"

namespace hookbench {

bool sse_endpoint::handle(http::request& req, http::reply_fn& reply) {
  if (req.path() != "/stream") return false;
  if (req.method != "GET") {
    reply(http::method_not_allowed(req.method, "/stream", "GET"));
    return true;
  }
  const auto& log = ctx_.log;
  std::string cursor = req.header("last-event-id");
  if (cursor.empty()) cursor = req.query("after", std::to_string(log.last_seq()));
  std::uint64_t after = 0;
  if (!try_parse_u64(cursor, after)) {
    reply(http::json_error(400,
                           "the cursor (Last-Event-ID or after) must be a non-negative "
                           "integer, got '" +
                               cursor + "'"));
    return true;
  }
  if (after > log.last_seq()) {
    reply(http::json_error(400, "cursor " + std::to_string(after) +
                                    " is ahead of the newest event " +
                                    std::to_string(log.last_seq())));
    return true;
  }
  holdings::holding held;
  if (auto refused = hold(req, held)) {
    reply(std::move(*refused));
    return true;
  }
  http::response head(200);
  head.content_type = "text/event-stream";
  head.headers.emplace_back("Cache-Control", "no-cache");
  head.headers.emplace_back("X-Accel-Buffering", "no");
  auto stream = reply.stream(head);
  if (!stream->open()) return true;
  std::string hello = "retry: " + std::to_string(options_.retry / kNanosPerMilli) + "\n\n";
  if (after + 1 < log.oldest_seq()) {
    // Fell out of retention: say which events are gone, then go on from the oldest kept.
    ++gaps_;
    hello += "event: gap\ndata: {\"from\":" + std::to_string(after + 1) +
             ",\"to\":" + std::to_string(log.oldest_seq() - 1) + "}\n\n";
    after = log.oldest_seq() - 1;
  }
  count_extra(hello.size(), ctx_.window.contains(req.received_ns));
  stream->write(std::move(hello));
  const auto id = open({[stream](std::string m) { return stream->write(std::move(m)); },
                        [stream] { stream->end(); }, [stream] { return stream->queued_bytes(); }},
                       after, std::move(held));
  stream->on_closed([this, id] { closed(id); });
  return true;
}

// One message per event. The JSON has no newline, so it is one data line.
std::string sse_endpoint::frame(const event& e, std::size_t& event_bytes) const {
  std::string out = "id: " + std::to_string(e.seq) + "\ndata: ";
  const std::size_t before = out.size();
  append_event_json(out, e);
  event_bytes = out.size() - before;
  out += "\n\n";
  return out;
}

// Chunked encoding around each part: its size in hex, CRLF, and CRLF after it.
std::size_t sse_endpoint::transport_overhead(std::size_t message_bytes) const {
  std::size_t hex = 1;
  while (message_bytes >>= 4) ++hex;
  return hex + 4;
}

}  // namespace hookbench
