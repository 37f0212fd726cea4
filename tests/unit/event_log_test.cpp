// The producer's event log (producer/event_log): cursor semantics of GET /events?after=SEQ and
// bounded retention, including the two ways a cursor can be wrong (expired, ahead).
#include "producer/event_log.hpp"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace hookbench {
namespace {

using status = event_log::read_status;

std::vector<seq_t> seqs(const event_log::read_result& r) {
  std::vector<seq_t> out;
  for (const auto* e : r.events) out.push_back(e->seq);
  return out;
}

void fill(event_log& log, int n) {
  for (int i = 0; i < n; ++i) {
    // Built with append: g++ 12's -Wrestrict misfires on `"p" + std::to_string(...)` at -O3.
    std::string payload = "p";
    payload.append(std::to_string(i + 1));
    log.append(1'000 * (i + 1), std::move(payload));
  }
}

TEST(event_log, zero_retention_is_refused) { EXPECT_THROW(event_log(0), std::invalid_argument); }

TEST(event_log, appends_number_from_one_without_gaps) {
  event_log log(100);
  EXPECT_EQ(log.last_seq(), 0u);
  EXPECT_EQ(log.oldest_seq(), 1u);  // nothing retained: last + 1
  const event& first = log.append(111, "a");
  EXPECT_EQ(first.seq, 1u);
  EXPECT_EQ(first.created_ns, 111);
  EXPECT_EQ(first.payload, "a");
  EXPECT_EQ(log.append(222, "b").seq, 2u);
  EXPECT_EQ(log.last_seq(), 2u);
  EXPECT_EQ(log.size(), 2u);
}

TEST(event_log, empty_log_reads_nothing_and_keeps_the_cursor) {
  event_log log(10);
  auto r = log.read_after(0, 100);
  EXPECT_EQ(r.status, status::ok);
  EXPECT_TRUE(r.events.empty());
  EXPECT_EQ(r.next, 0u);
}

TEST(event_log, after_zero_gets_all_after_last_gets_none) {
  event_log log(100);
  fill(log, 5);
  auto all = log.read_after(0, 100);
  EXPECT_EQ(all.status, status::ok);
  EXPECT_EQ(seqs(all), (std::vector<seq_t>{1, 2, 3, 4, 5}));
  EXPECT_EQ(all.next, 5u);
  EXPECT_EQ(all.events[2]->payload, "p3");
  EXPECT_EQ(all.events[2]->created_ns, 3'000);

  auto none = log.read_after(5, 100);
  EXPECT_EQ(none.status, status::ok);
  EXPECT_TRUE(none.events.empty());
  EXPECT_EQ(none.next, 5u);  // an empty poll keeps the cursor where it was
}

TEST(event_log, limit_is_honoured_and_next_continues_the_read) {
  event_log log(100);
  fill(log, 7);
  auto a = log.read_after(1, 3);
  EXPECT_EQ(seqs(a), (std::vector<seq_t>{2, 3, 4}));
  EXPECT_EQ(a.next, 4u);
  auto b = log.read_after(a.next, 3);
  EXPECT_EQ(seqs(b), (std::vector<seq_t>{5, 6, 7}));
  EXPECT_EQ(b.next, 7u);
  auto c = log.read_after(b.next, 3);
  EXPECT_TRUE(c.events.empty());
  EXPECT_EQ(c.next, 7u);
  EXPECT_TRUE(log.read_after(0, 0).events.empty());
}

TEST(event_log, cursor_beyond_newest_is_ahead) {
  event_log log(100);
  EXPECT_EQ(log.read_after(1, 10).status, status::ahead);
  fill(log, 3);
  auto r = log.read_after(4, 10);
  EXPECT_EQ(r.status, status::ahead);
  EXPECT_TRUE(r.events.empty());
  EXPECT_EQ(log.read_after(3, 10).status, status::ok);
}

TEST(event_log, retention_evicts_oldest_and_keeps_memory_bounded) {
  event_log log(3);
  fill(log, 10);
  EXPECT_EQ(log.size(), 3u);
  EXPECT_EQ(log.retention(), 3u);
  EXPECT_EQ(log.oldest_seq(), 8u);
  EXPECT_EQ(log.last_seq(), 10u);
  // The cursor just before the oldest retained event still reads without a gap.
  auto r = log.read_after(7, 100);
  EXPECT_EQ(r.status, status::ok);
  EXPECT_EQ(seqs(r), (std::vector<seq_t>{8, 9, 10}));
  EXPECT_EQ(r.events.front()->payload, "p8");
}

TEST(event_log, cursor_older_than_retention_is_expired) {
  event_log log(3);
  fill(log, 10);  // 8, 9, 10 retained; 1..7 evicted
  for (seq_t after : {seq_t{0}, seq_t{1}, seq_t{6}}) {
    auto r = log.read_after(after, 100);
    EXPECT_EQ(r.status, status::expired) << "after=" << after;
    EXPECT_TRUE(r.events.empty());  // never a silent partial read across the gap
  }
  EXPECT_EQ(log.read_after(7, 100).status, status::ok);
  EXPECT_EQ(log.read_after(11, 100).status, status::ahead);
}

TEST(event_log, retention_of_one_keeps_only_the_newest) {
  event_log log(1);
  fill(log, 4);
  EXPECT_EQ(log.oldest_seq(), 4u);
  EXPECT_EQ(seqs(log.read_after(3, 10)), (std::vector<seq_t>{4}));
  EXPECT_EQ(log.read_after(2, 10).status, status::expired);
}

}  // namespace
}  // namespace hookbench
