// The pull strategies' reading of GET /events answers.
#include "consumer/pull_answers.hpp"

#include <algorithm>
#include <iostream>

namespace hookbench {

void pull_answers::failed(bool counted, const boost::system::error_code& ec) {
  if (counted) ++failed_;
  if (failed_ == 1) {
    std::cerr << "hookbench client: " << what_ << " failed: " << http::describe(ec)
              << " (counted; further failures are counted silently)\n";
  }
}

std::optional<event_batch> pull_answers::take_batch(subscriber_base& s, bool counted, nanos sent_ns,
                                                    const std::string& body) {
  std::string error;
  auto batch = parse_batch_json(body, error);
  const nanos parsed = now_ns();
  if (!batch) {
    if (counted) ++failed_;
    std::cerr << "hookbench client: bad " << what_ << " response: " << error << "\n";
    return std::nullopt;
  }
  if (ctx_.trace) ctx_.trace->poll(sent_ns, parsed, s.id, batch->events.size());
  for (const auto& e : batch->events) ctx_.tracker.record(s.id, e, parsed);
  s.cursor = std::max(s.cursor, batch->next);
  return batch;
}

seq_t pull_answers::expired(subscriber_base& s, const std::string& body) {
  const seq_t oldest = oldest_retained(body, s.cursor);
  ++expired_cursors_;
  expired_events_ += oldest - 1 - s.cursor;
  s.cursor = oldest - 1;
  return oldest;
}

void pull_answers::bad_status(bool counted, const http::client_response& r) {
  if (counted) ++failed_;
  std::cerr << "hookbench client: " << what_ << " answered HTTP " << r.status << ": " << r.body
            << "\n";
}

}  // namespace hookbench
