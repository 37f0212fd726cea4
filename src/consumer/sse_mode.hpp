// Server-sent events: each subscriber holds one GET /stream (text/event-stream) and records the
// event in each message as it is parsed. When a stream ends or fails it reconnects after the
// server's retry hint, sending Last-Event-ID so that it resumes exactly after the last event it
// had; a "gap" event (the cursor fell out of retention) is counted and its events show as lost.
#pragma once

#include "consumer/sse_parser.hpp"
#include "consumer/stream_set.hpp"

namespace hookbench {

namespace detail {
// Its cursor is the last event id received.
struct sse_reader : stream_subscriber {
  nanos retry = kNanosPerSecond;  // the server's retry hint
  sse_parser parser;
};
}  // namespace detail

class sse_mode : public stream_set<detail::sse_reader> {
 public:
  explicit sse_mode(mode_context& ctx);
  ~sse_mode() override;

 private:
  void connect(detail::sse_reader& s) override;
  void on_message(detail::sse_reader& s, const sse_parser::message& m);
};

}  // namespace hookbench
