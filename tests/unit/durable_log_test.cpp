// The event log's file (producer/durable_log): what is appended comes back in order after a
// reopen, a record torn by a crash (short, or with a wrong checksum) is dropped and cut off, and
// an event_log attached to the file resumes numbering after the last record.
#include "producer/durable_log.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "core/parse.hpp"
#include "producer/event_log.hpp"

namespace hookbench {
namespace {

class durable_log_file : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("hookbench-durable-" + std::to_string(getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    path_ = (dir_ / "events.log").string();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // Appends events 1..n (16-byte payloads, so records of one size; created at seq * 1000).
  void write(int n, fsync_policy policy = fsync_policy::never) {
    durable_log log(path_, {policy, kNanosPerMilli});
    for (int i = 1; i <= n; ++i) {
      const auto seq = static_cast<seq_t>(i);
      ASSERT_TRUE(log.append({seq, i * 1000, make_payload(16, seq)}));
    }
  }
  std::vector<event> reload(durable_stats* stats = nullptr) {
    std::vector<event> out;
    durable_log log(path_, {}, [&](event&& e) { out.push_back(std::move(e)); });
    if (stats) *stats = log.stats();
    return out;
  }
  std::uintmax_t size() const { return std::filesystem::file_size(path_); }

  std::filesystem::path dir_;
  std::string path_;
};

TEST(crc32, matches_the_standard_check_value) {
  EXPECT_EQ(crc32("123456789"), 0xCBF43926u);  // the CRC-32/ISO-HDLC check value
  EXPECT_EQ(crc32(""), 0u);
}

TEST(fsync_policy, names_are_accepted_and_others_rejected) {
  EXPECT_EQ(parse_fsync_policy("always"), fsync_policy::always);
  EXPECT_EQ(parse_fsync_policy("interval"), fsync_policy::interval);
  EXPECT_EQ(parse_fsync_policy("never"), fsync_policy::never);
  EXPECT_THROW(parse_fsync_policy("sometimes"), usage_error);
  EXPECT_THROW(parse_fsync_policy(""), usage_error);
  EXPECT_EQ(to_string(fsync_policy::interval), "interval");
}

TEST_F(durable_log_file, appended_events_come_back_in_order) {
  write(50);
  durable_stats st;
  const auto events = reload(&st);
  ASSERT_EQ(events.size(), 50u);
  for (std::size_t i = 0; i < events.size(); ++i) {
    EXPECT_EQ(events[i].seq, i + 1);
    EXPECT_EQ(events[i].created_ns, static_cast<nanos>(i + 1) * 1000);
    EXPECT_EQ(events[i].payload, make_payload(16, i + 1));
  }
  EXPECT_EQ(st.loaded, 50u);
  EXPECT_EQ(st.dropped_bytes, 0u);
}

TEST_F(durable_log_file, each_policy_syncs_as_it_says) {
  {
    durable_log log(path_, {fsync_policy::always, kNanosPerMilli});
    for (seq_t s = 1; s <= 5; ++s) ASSERT_TRUE(log.append({s, 0, "x"}));
    EXPECT_EQ(log.stats().syncs, 5u);
  }
  std::filesystem::remove(path_);
  {
    durable_log log(path_, {fsync_policy::never, kNanosPerMilli});
    for (seq_t s = 1; s <= 5; ++s) ASSERT_TRUE(log.append({s, 0, "x"}));
    usleep(20'000);
    EXPECT_EQ(log.stats().syncs, 0u);
  }
  std::filesystem::remove(path_);
  {
    // An hour's interval: nothing is due during the test.
    durable_log log(path_, {fsync_policy::interval, 3600 * kNanosPerSecond});
    for (seq_t s = 1; s <= 5; ++s) ASSERT_TRUE(log.append({s, 0, "x"}));
    usleep(20'000);
    EXPECT_EQ(log.stats().syncs, 0u);
  }
  std::filesystem::remove(path_);
  {
    // 1 ms: the sync thread flushes the appended records soon after, once for the lot, and
    // not again while nothing new comes.
    durable_log log(path_, {fsync_policy::interval, kNanosPerMilli});
    for (seq_t s = 1; s <= 5; ++s) ASSERT_TRUE(log.append({s, 0, "x"}));
    for (int i = 0; i < 2000 && log.stats().syncs == 0; ++i) usleep(1000);  // bounded: 2 s
    const auto syncs = log.stats().syncs;
    EXPECT_GE(syncs, 1u);
    EXPECT_LE(syncs, 5u);
    usleep(20'000);
    EXPECT_EQ(log.stats().syncs, syncs);
  }
}

TEST_F(durable_log_file, a_torn_last_record_is_dropped_and_cut_off) {
  write(10);
  const auto whole = size();
  write(0);  // reopen, nothing appended
  // A crash in the middle of the 11th record: only its first bytes reached the file.
  {
    durable_log log(path_, {});
    ASSERT_TRUE(log.append({11, 11'000, "the eleventh event"}));
  }
  std::filesystem::resize_file(path_, size() - 7);
  durable_stats st;
  auto events = reload(&st);
  ASSERT_EQ(events.size(), 10u);
  EXPECT_EQ(events.back().seq, 10u);
  EXPECT_GT(st.dropped_bytes, 0u);
  EXPECT_EQ(size(), whole);  // cut back to the last whole record
  // Appends go on after it, and the next reader sees a clean log.
  {
    durable_log log(path_, {});
    EXPECT_EQ(log.last_seq(), 10u);
    ASSERT_TRUE(log.append({11, 11'000, "again"}));
  }
  events = reload(&st);
  ASSERT_EQ(events.size(), 11u);
  EXPECT_EQ(events.back().payload, "again");
  EXPECT_EQ(st.dropped_bytes, 0u);
}

TEST_F(durable_log_file, a_record_with_a_wrong_checksum_ends_the_log) {
  write(10);
  // Flip one payload byte of the 6th record: it and everything after it are dropped.
  const std::uintmax_t record = size() / 10;
  {
    std::fstream f(path_, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(5 * record + 24));
    f.put('#');
  }
  durable_stats st;
  const auto events = reload(&st);
  EXPECT_EQ(events.size(), 5u);
  EXPECT_EQ(st.dropped_bytes, 5 * record);
}

TEST_F(durable_log_file, garbage_is_not_a_log) {
  {
    std::ofstream f(path_, std::ios::binary);
    f << "this is not an event log, just some text that is long enough";
  }
  durable_stats st;
  EXPECT_TRUE(reload(&st).empty());
  EXPECT_GT(st.dropped_bytes, 0u);
}

TEST_F(durable_log_file, an_attached_event_log_resumes_after_the_last_record) {
  {
    event_log log(4);
    log.attach(path_, {fsync_policy::never, kNanosPerMilli});
    for (int i = 1; i <= 10; ++i) log.append(i * 10, make_payload(32, static_cast<seq_t>(i)));
  }
  event_log log(4);  // keeps the newest 4 in memory; the file keeps all
  log.attach(path_, {fsync_policy::never, kNanosPerMilli});
  EXPECT_EQ(log.last_seq(), 10u);
  EXPECT_EQ(log.oldest_seq(), 7u);
  EXPECT_EQ(log.file()->stats().loaded, 10u);
  const event& next = log.append(110, make_payload(32, 11));
  EXPECT_EQ(next.seq, 11u);
  const auto r = log.read_after(9, 10);
  ASSERT_EQ(r.events.size(), 2u);
  EXPECT_EQ(r.events[0]->created_ns, 100);
  EXPECT_EQ(r.events[0]->payload, make_payload(32, 10));
}

TEST_F(durable_log_file, attach_on_a_used_log_is_refused) {
  event_log log(4);
  log.append(1, "x");
  EXPECT_THROW(log.attach(path_, {}), std::logic_error);
}

TEST_F(durable_log_file, an_unopenable_path_names_itself) {
  try {
    durable_log log((dir_ / "no-such-dir" / "events.log").string(), {});
    FAIL() << "opened a file in a missing directory";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("no-such-dir"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace hookbench
