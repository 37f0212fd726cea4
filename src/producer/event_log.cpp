// Bounded-retention event log.
#include "producer/event_log.hpp"

#include <stdexcept>

namespace hookbench {

event_log::event_log(std::size_t retention) : retention_(retention) {
  if (retention == 0) throw std::invalid_argument("event log retention must be at least 1");
}

void event_log::attach(const std::string& path, durable_options options) {
  if (next_seq_ != 1 || file_) throw std::logic_error("event_log::attach on a used log");
  file_ = std::make_unique<durable_log>(path, options, [this](event&& e) {
    if (events_.size() == retention_) events_.pop_front();
    next_seq_ = e.seq + 1;
    events_.push_back(std::move(e));
  });
}

const event& event_log::append(nanos created_ns, std::string payload) {
  if (events_.size() == retention_) events_.pop_front();
  events_.push_back(event{next_seq_++, created_ns, std::move(payload)});
  // A failed write is counted by the file (and reported); the event is still served.
  if (file_) file_->append(events_.back());
  return events_.back();
}

event_log::read_result event_log::read_after(seq_t after, std::size_t limit) const {
  read_result r;
  r.next = after;
  if (after > last_seq()) {
    r.status = read_status::ahead;
    return r;
  }
  if (after + 1 < oldest_seq()) {
    r.status = read_status::expired;
    return r;
  }
  std::size_t index = after + 1 - oldest_seq();
  for (; index < events_.size() && r.events.size() < limit; ++index) {
    r.events.push_back(&events_[index]);
  }
  if (!r.events.empty()) r.next = r.events.back()->seq;
  return r;
}

}  // namespace hookbench
