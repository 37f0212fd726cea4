// The consumer's text/event-stream parser, header-only for its callbacks: used by the SSE mode
// (consumer/sse_mode.hpp) and driven alone by a fuzzer (tests/fuzz/sse_parser_fuzzer.cpp).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/parse.hpp"

namespace hookbench {

// An incremental text/event-stream parser (the WHATWG "event stream interpretation"): feed it
// bytes as they come, get each dispatched message. Lines end in LF, CR or CRLF. A server that
// never ends a line or a message cannot make it hold more than its limits: past one, the parser
// stops (error() names the limit) and the stream should be closed.
class sse_parser {
 public:
  struct message {
    std::string id, event, data;
  };
  // A line holds one field: an event's data line carries the whole event (serve --payload
  // allows 1 MiB, JSON-escaped); a message may hold several data lines.
  static constexpr std::size_t kDefaultMaxLine = 4 * 1024 * 1024;
  static constexpr std::size_t kDefaultMaxMessage = 8 * 1024 * 1024;

  sse_parser() = default;
  sse_parser(std::size_t max_line, std::size_t max_message)
      : max_line_(max_line), max_message_(max_message) {}

  // Calls on_message for each complete message, on_comment for each comment line, on_retry for
  // each valid retry field (ms). False once a limit was passed (now or before): nothing more
  // is parsed.
  template <class OnMessage, class OnComment, class OnRetry>
  bool feed(std::string_view bytes, OnMessage&& on_message, OnComment&& on_comment,
            OnRetry&& on_retry);
  std::size_t buffered() const { return line_.size() + current_.data.size(); }
  // Empty, or which limit was passed.
  const std::string& error() const { return error_; }

 private:
  template <class OnMessage, class OnComment, class OnRetry>
  void line(std::string_view l, OnMessage& on_message, OnComment& on_comment, OnRetry& on_retry);

  bool fail(const char* what, std::size_t limit) {
    error_ = std::string(what) + " exceeds " + std::to_string(limit) + " bytes";
    line_ = {};
    current_ = {};
    return false;
  }

  std::size_t max_line_ = kDefaultMaxLine, max_message_ = kDefaultMaxMessage;
  std::string error_;
  std::string line_;
  bool after_cr_ = false;
  message current_;
  bool has_data_ = false;
};

template <class OnMessage, class OnComment, class OnRetry>
bool sse_parser::feed(std::string_view bytes, OnMessage&& on_message, OnComment&& on_comment,
                      OnRetry&& on_retry) {
  if (!error_.empty()) return false;
  for (char c : bytes) {
    if (after_cr_ && c == '\n') {  // the LF of a CRLF
      after_cr_ = false;
      continue;
    }
    after_cr_ = c == '\r';
    if (c == '\r' || c == '\n') {
      line(line_, on_message, on_comment, on_retry);
      line_.clear();
      if (current_.data.size() > max_message_) return fail("an event stream message", max_message_);
    } else {
      if (line_.size() >= max_line_) return fail("an event stream line", max_line_);
      line_ += c;
    }
  }
  return true;
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
