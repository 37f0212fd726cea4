// Server-sent events: each subscriber holds one GET /stream (text/event-stream) and records the
// event in each message as it is parsed. When a stream ends or fails it reconnects after the
// server's retry hint, sending Last-Event-ID so that it resumes exactly after the last event it
// had; a "gap" event (the cursor fell out of retention) is counted and its events show as lost.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "consumer/delivery_mode.hpp"
#include "http/client.hpp"

namespace hookbench {

// An incremental text/event-stream parser (the WHATWG "event stream interpretation"): feed it
// bytes as they come, get each dispatched message. Lines end in LF, CR or CRLF.
class sse_parser {
 public:
  struct message {
    std::string id, event, data;
  };
  // Calls on_message for each complete message, on_comment for each comment line, on_retry for
  // each valid retry field (ms).
  template <class OnMessage, class OnComment, class OnRetry>
  void feed(std::string_view bytes, OnMessage&& on_message, OnComment&& on_comment,
            OnRetry&& on_retry);
  std::size_t buffered() const { return line_.size(); }

 private:
  template <class OnMessage, class OnComment, class OnRetry>
  void line(std::string_view l, OnMessage& on_message, OnComment& on_comment, OnRetry& on_retry);

  std::string line_;
  bool after_cr_ = false;
  message current_;
  bool has_data_ = false;
};

class sse_mode : public delivery_mode {
 public:
  explicit sse_mode(mode_context& ctx);
  ~sse_mode() override;
  void setup() override {}
  void start() override;
  void stop() override;
  traffic_by_kind requests() const override;
  traffic_counter bytes() const override { return bytes_; }
  nlohmann::json stats() const override;

 private:
  struct subscriber;
  void connect(subscriber& s);
  void on_message(subscriber& s, const sse_parser::message& m);
  void reconnect_later(subscriber& s);

  mode_context& ctx_;
  bool stopped_ = false;
  std::vector<std::unique_ptr<subscriber>> subs_;
  traffic_counter connects_;  // streams opened in the window
  traffic_counter bytes_;     // stream bytes received in the window (by arrival)
  std::uint64_t messages_ = 0, heartbeats_ = 0, reconnects_ = 0, gaps_ = 0, failed_ = 0;
  std::uint64_t malformed_ = 0;
};

// --- sse_parser, header-only for its callbacks ---------------------------------------------------

template <class OnMessage, class OnComment, class OnRetry>
void sse_parser::feed(std::string_view bytes, OnMessage&& on_message, OnComment&& on_comment,
                      OnRetry&& on_retry) {
  for (char c : bytes) {
    if (after_cr_ && c == '\n') {  // the LF of a CRLF
      after_cr_ = false;
      continue;
    }
    after_cr_ = c == '\r';
    if (c == '\r' || c == '\n') {
      line(line_, on_message, on_comment, on_retry);
      line_.clear();
    } else {
      line_ += c;
    }
  }
}

template <class OnMessage, class OnComment, class OnRetry>
void sse_parser::line(std::string_view l, OnMessage& on_message, OnComment& on_comment,
                      OnRetry& on_retry) {
  if (l.empty()) {  // dispatch
    if (has_data_) on_message(current_);
    current_.event.clear();
    current_.data.clear();
    has_data_ = false;  // the id persists, as the spec's last event ID does
    return;
  }
  if (l.front() == ':') return on_comment(l.substr(1));
  const auto colon = l.find(':');
  std::string_view field = l.substr(0, colon), value;
  if (colon != std::string_view::npos) {
    value = l.substr(colon + 1);
    if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  }
  if (field == "data") {
    if (has_data_) current_.data += '\n';
    current_.data += value;
    has_data_ = true;
  } else if (field == "id") {
    if (value.find('\0') == std::string_view::npos) current_.id = std::string(value);
  } else if (field == "event") {
    current_.event = std::string(value);
  } else if (field == "retry") {
    std::uint64_t ms = 0;
    if (try_parse_u64(value, ms)) on_retry(ms);
  }
}

}  // namespace hookbench
