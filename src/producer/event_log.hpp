// The producer's event log: an append-only sequence with bounded retention, read by cursor.
// A cursor names the last event the reader has; reading returns what came after it. With a
// durable_log attached (serve --state-dir) every event also goes to its file, before anyone can
// read it.
#pragma once

#include <cstddef>
#include <deque>
#include <memory>
#include <vector>

#include "core/event.hpp"
#include "producer/durable_log.hpp"

namespace hookbench {

class event_log {
 public:
  explicit event_log(std::size_t retention);

  // Opens the log's file, takes every event already in it (a restart: the newest `retention`
  // stay in memory, numbering goes on after the last) and writes each new event to it. Throws
  // std::runtime_error. Only on an empty log.
  void attach(const std::string& path, durable_options options);
  durable_log* file() { return file_.get(); }
  const durable_log* file() const { return file_.get(); }

  // Appends with the next sequence number (1, 2, ...); returns the stored event.
  const event& append(nanos created_ns, std::string payload);

  seq_t last_seq() const { return next_seq_ - 1; }
  // Oldest sequence still retained; last_seq() + 1 when nothing is retained.
  seq_t oldest_seq() const { return next_seq_ - events_.size(); }
  std::size_t size() const { return events_.size(); }
  std::size_t retention() const { return retention_; }

  enum class read_status { ok, expired, ahead };
  struct read_result {
    read_status status = read_status::ok;
    std::vector<const event*> events;
    seq_t next = 0;  // cursor to send next time
  };
  // Events with seq > after, oldest first, at most `limit`. `expired` when some events after
  // the cursor were already evicted; `ahead` when the cursor is beyond the newest event.
  read_result read_after(seq_t after, std::size_t limit) const;

 private:
  std::size_t retention_;
  std::deque<event> events_;
  seq_t next_seq_ = 1;
  std::unique_ptr<durable_log> file_;
};

}  // namespace hookbench
