// The WebSocket endpoint.
#include "producer/ws_endpoint.hpp"

#include <memory>

#include "http/websocket.hpp"

namespace hookbench {

namespace {
// The client sends nothing but control frames once connected: a data message larger than this
// closes the connection with 1009 before it is buffered.
constexpr std::size_t kMaxClientMessage = 1024;
}  // namespace

bool ws_endpoint::handle(http::request& req, http::reply_fn& reply) {
  if (req.path() != "/ws") return false;
  const auto& log = ctx_.log;
  const std::string cursor = req.query("after", std::to_string(log.last_seq()));
  std::uint64_t after = 0;
  if (!try_parse_u64(cursor, after) || after > log.last_seq()) {
    reply(http::json_error(400, "after must be an integer from 0 to the newest event " +
                                    std::to_string(log.last_seq()) + ", got '" + cursor + "'"));
    return true;
  }
  // Only an upgrade request takes a place (any other gets 426); the handlers hold it until the
  // reader has it, so a failed handshake gives it back too.
  auto held = std::make_shared<holdings::holding>();
  if (req.websocket_upgrade) {
    if (auto refused = hold(req, *held)) {
      reply(std::move(*refused));
      return true;
    }
  }
  const bool in_window = ctx_.window.contains(req.received_ns);
  // The id the hub gives the reader, known once the handshake is done.
  auto id = std::make_shared<std::uint64_t>(0);
  auto opened = std::make_shared<bool>(false);
  http::ws_handlers h;
  h.on_open = [this, after, in_window, id, opened, held](std::shared_ptr<http::ws_connection> ws) {
    seq_t from = after;
    if (from + 1 < ctx_.log.oldest_seq()) {
      ++gaps_;
      std::string gap = "{\"gap\":{\"from\":" + std::to_string(from + 1) +
                        ",\"to\":" + std::to_string(ctx_.log.oldest_seq() - 1) + "}}";
      count_extra(gap.size() + 2, in_window);
      ws->send(std::move(gap));
      from = ctx_.log.oldest_seq() - 1;
    }
    *opened = true;
    *id = open({[ws](std::string m) { return ws->send(std::move(m)); }, [ws] { ws->close(); },
                [ws] { return ws->queued_bytes(); }},
               from, std::move(*held));
  };
  h.on_message = [](std::string) {};  // the client has nothing to say once it has resumed
  h.max_message = kMaxClientMessage;
  h.on_close = [this, id, opened] {
    if (*opened) closed(*id);
  };
  reply.upgrade_websocket(std::move(h));
  return true;
}

std::string ws_endpoint::frame(const event& e, std::size_t& event_bytes) const {
  std::string out;
  append_event_json(out, e);
  event_bytes = out.size();
  return out;
}

// A server frame's header: 2 bytes, 4 for payloads of 126..65535, 10 beyond (no mask).
std::size_t ws_endpoint::transport_overhead(std::size_t message_bytes) const {
  return message_bytes < 126 ? 2 : message_bytes <= 65535 ? 4 : 10;
}

}  // namespace hookbench
