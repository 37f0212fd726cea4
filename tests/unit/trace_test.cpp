// Trace recording (measure/trace) and the latency CDF quantiles (measure/latency): a side keeps
// only what falls inside the window, never more than its limit (counting the rest), writes the
// documented JSON lines, and the merge sorts both sides under one header.
#include "measure/trace.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "measure/latency.hpp"

namespace hookbench {
namespace {

using json = nlohmann::json;

std::vector<json> read_lines(const std::string& path) {
  std::vector<json> out;
  std::ifstream f(path);
  std::string line;
  while (std::getline(f, line)) out.push_back(json::parse(line));
  return out;
}

struct temp_dir {
  std::filesystem::path path;
  temp_dir() {
    path = std::filesystem::temp_directory_path() /
           ("hookbench_trace_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(path);
  }
  ~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  std::string file(const char* name) const { return (path / name).string(); }
};

TEST(trace_recorder, keeps_only_the_window_relative_to_its_start) {
  temp_dir tmp;
  measurement_window w;  // unknown at first, as on the consumer
  trace_recorder t(w);
  t.delivered(5 * kNanosPerMilli, 1, 0, kNanosPerMilli);  // before the window: filtered at write
  w.start_ns = 10 * kNanosPerMilli;
  w.end_ns = 20 * kNanosPerMilli;
  t.created(12 * kNanosPerMilli, 2);
  t.poll(9 * kNanosPerMilli, 13'500'000, 1, 0);  // sent before, answered inside: kept
  t.webhook_post(14 * kNanosPerMilli, 2, 3);
  t.delivered(15'250'000, 2, 3, 3'250'000);
  t.created(20 * kNanosPerMilli, 3);  // the window is half-open: its end is outside
  ASSERT_TRUE(t.write(tmp.file("part"), "consumer"));
  const auto lines = read_lines(tmp.file("part"));
  ASSERT_EQ(lines.size(), 5u);
  EXPECT_EQ(lines[0], json::parse(R"({"kind":"part","side":"consumer","records":4,"dropped":0})"));
  EXPECT_EQ(lines[1], json::parse(R"({"kind":"created","t_ms":2.0,"seq":2})"));
  EXPECT_EQ(lines[2],
            json::parse(R"({"kind":"poll","t_ms":3.5,"sent_ms":-1.0,"sub":1,"events":0})"));
  EXPECT_EQ(lines[3], json::parse(R"({"kind":"webhook_post","t_ms":4.0,"seq":2,"sub":3})"));
  EXPECT_EQ(lines[4],
            json::parse(R"({"kind":"delivered","t_ms":5.25,"seq":2,"sub":3,"latency_ms":3.25})"));
}

TEST(trace_recorder, stops_at_its_limit_and_counts_what_it_dropped) {
  temp_dir tmp;
  measurement_window w{0, kNanosPerSecond};
  trace_recorder t(w, 3);
  for (seq_t s = 1; s <= 10; ++s) t.created(static_cast<nanos>(s) * kNanosPerMilli, s);
  EXPECT_EQ(t.dropped(), 7u);
  ASSERT_TRUE(t.write(tmp.file("part"), "producer"));
  const auto lines = read_lines(tmp.file("part"));
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(lines[0]["dropped"], 7);
  EXPECT_EQ(lines[3]["seq"], 3);
}

TEST(merge_trace, one_header_then_both_sides_sorted_by_time) {
  temp_dir tmp;
  measurement_window w{0, kNanosPerSecond};
  trace_recorder producer(w, 2), consumer(w);
  producer.created(10 * kNanosPerMilli, 1);
  producer.created(30 * kNanosPerMilli, 2);
  producer.created(50 * kNanosPerMilli, 3);  // over the limit of 2: dropped
  consumer.poll(19 * kNanosPerMilli, 20 * kNanosPerMilli, 0, 1);
  consumer.delivered(20 * kNanosPerMilli, 1, 0, 10 * kNanosPerMilli);
  ASSERT_TRUE(producer.write(tmp.file("p"), "producer"));
  ASSERT_TRUE(consumer.write(tmp.file("c"), "consumer"));
  merge_trace({"poll", 5, 200, true, 1, 3}, {tmp.file("p"), tmp.file("c")}, tmp.file("out"));
  const auto lines = read_lines(tmp.file("out"));
  ASSERT_EQ(lines.size(), 5u);
  EXPECT_EQ(lines[0], json::parse(R"({"kind":"header","mode":"poll","rate":5,"interval_ms":200,
                                      "subscribers":1,"duration_s":3,"records":4,"dropped":1})"));
  std::vector<std::string> kinds;
  for (std::size_t i = 1; i < lines.size(); ++i) {
    kinds.push_back(lines[i]["kind"]);
    if (i > 1) {
      EXPECT_LE(lines[i - 1]["t_ms"].get<double>(), lines[i]["t_ms"].get<double>());
    }
  }
  // Equal times keep each side's order: the poll answer before the delivery it carried.
  EXPECT_EQ(kinds, (std::vector<std::string>{"created", "poll", "delivered", "created"}));

  merge_trace({"webhook", 5, 0, false, 2, 3}, {tmp.file("p")}, tmp.file("out"));
  const auto push = read_lines(tmp.file("out"));
  EXPECT_TRUE(push[0]["interval_ms"].is_null()) << "push modes have no interval";
  EXPECT_EQ(push[0]["subscribers"], 2);
  EXPECT_THROW(merge_trace({"poll", 5, 200, true, 1, 3}, {tmp.file("missing")}, tmp.file("out")),
               std::runtime_error);
}

TEST(latency_cdf, quantiles_cover_the_documented_grid) {
  const auto& qs = cdf_quantiles();
  ASSERT_EQ(qs.size(), 103u);  // 0.001, 0.01..0.99, 0.995, 0.999, 1
  EXPECT_EQ(qs.front(), 0.001);
  EXPECT_EQ(qs[1], 0.01);
  EXPECT_EQ(qs[99], 0.99);
  EXPECT_EQ(qs[100], 0.995);
  EXPECT_EQ(qs[101], 0.999);
  EXPECT_EQ(qs.back(), 1.0);
  for (std::size_t i = 1; i < qs.size(); ++i) EXPECT_LT(qs[i - 1], qs[i]);

  std::vector<nanos> v;
  for (nanos i = 1000; i >= 1; --i) v.push_back(i * kNanosPerMicro);  // 1..1000 us, reversed
  const auto s = summarize_latency(v);
  ASSERT_EQ(s.quantiles.size(), qs.size());
  EXPECT_EQ(s.quantiles.front(), (std::pair<double, double>{0.001, 1.0}));
  EXPECT_EQ(s.quantiles[50], (std::pair<double, double>{0.5, s.p50_us}));
  EXPECT_EQ(s.quantiles.back(), (std::pair<double, double>{1.0, 1000.0}));
  for (std::size_t i = 1; i < s.quantiles.size(); ++i) {
    EXPECT_LE(s.quantiles[i - 1].second, s.quantiles[i].second);
  }
  json j = s;
  ASSERT_TRUE(j["quantiles"].is_array());
  EXPECT_EQ(j["quantiles"].size(), qs.size());
  EXPECT_EQ(j["quantiles"][101], json::parse("[0.999, 999.0]"));

  std::vector<nanos> none;
  json empty = summarize_latency(none);
  EXPECT_TRUE(empty["quantiles"].is_array());
  EXPECT_TRUE(empty["quantiles"].empty());
}

}  // namespace
}  // namespace hookbench
