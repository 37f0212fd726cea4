// Fault specs (core/fault): KIND:AT:FOR[:PARAM] is parsed exactly, each kind's parameter has its
// default and its bounds, and every rejection names what was wrong.
#include "core/fault.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "core/parse.hpp"

namespace hookbench {
namespace {

std::string rejection(std::string_view text) {
  try {
    parse_fault(text);
  } catch (const usage_error& e) {
    return e.what();
  }
  return "<accepted>";
}

TEST(parse_fault, reads_kind_start_and_length) {
  const auto f = parse_fault("receiver-down:1s:2s");
  EXPECT_EQ(f.kind, fault_kind::receiver_down);
  EXPECT_EQ(f.at, kNanosPerSecond);
  EXPECT_EQ(f.length, 2 * kNanosPerSecond);
  EXPECT_EQ(f.end(), 3 * kNanosPerSecond);
  EXPECT_EQ(f.to_string(), "receiver-down:1s:2s");
  EXPECT_EQ(parse_fault("link-cut:500ms:250ms").at, 500 * kNanosPerMilli);
  EXPECT_EQ(parse_fault("producer-restart:0s:1s").kind, fault_kind::producer_restart);
  EXPECT_EQ(parse_fault("consumer-down:2s:1s").kind, fault_kind::consumer_down);
}

TEST(parse_fault, parameters_have_defaults_and_round_trip) {
  EXPECT_EQ(parse_fault("receiver-5xx:1s:1s").probability, 1.0);
  EXPECT_EQ(parse_fault("receiver-5xx:1s:1s:0.25").probability, 0.25);
  EXPECT_EQ(parse_fault("receiver-429:1s:1s").delay, kNanosPerSecond);
  EXPECT_EQ(parse_fault("receiver-429:1s:1s:3s").delay, 3 * kNanosPerSecond);
  EXPECT_EQ(parse_fault("receiver-slow:1s:1s").delay, 6 * kNanosPerSecond);
  EXPECT_EQ(parse_fault("receiver-slow:1s:1s:200ms").delay, 200 * kNanosPerMilli);
  for (const char* text : {"receiver-5xx:1s:2s:0.5", "receiver-429:1s:2s:2s",
                           "receiver-slow:1s:2s:200ms", "link-cut:1.5s:2s"}) {
    EXPECT_EQ(parse_fault(text).to_string(), text);
    EXPECT_EQ(parse_fault(parse_fault(text).to_string()).to_json(), parse_fault(text).to_json());
  }
  const auto j = parse_fault("receiver-5xx:1s:2s:0.5").to_json();
  EXPECT_EQ(j.at("kind"), "receiver-5xx");
  EXPECT_EQ(j.at("at_s"), 1.0);
  EXPECT_EQ(j.at("for_s"), 2.0);
  EXPECT_EQ(j.at("probability"), 0.5);
}

TEST(parse_fault, rejects_malformed_specs_naming_the_part) {
  EXPECT_NE(rejection("receiver-down").find("KIND:AT:FOR"), std::string::npos);
  EXPECT_NE(rejection("receiver-down:1s").find("KIND:AT:FOR"), std::string::npos);
  EXPECT_NE(rejection("a:b:c:d:e").find("KIND:AT:FOR"), std::string::npos);
  EXPECT_NE(rejection("meteor:1s:2s").find("unknown fault kind 'meteor'"), std::string::npos);
  EXPECT_NE(rejection("link-cut:1:2s").find("AT in"), std::string::npos);
  EXPECT_NE(rejection("link-cut:1s:x").find("FOR in"), std::string::npos);
  EXPECT_NE(rejection("link-cut:1s:0s").find("more than 0"), std::string::npos);
  EXPECT_NE(rejection("link-cut:1s:1s:5").find("takes no parameter"), std::string::npos);
  EXPECT_NE(rejection("receiver-5xx:1s:1s:1.5").find("(0, 1]"), std::string::npos);
  EXPECT_NE(rejection("receiver-5xx:1s:1s:0").find("probability"), std::string::npos);
  EXPECT_NE(rejection("receiver-429:1s:1s:1500ms").find("whole seconds"), std::string::npos);
  EXPECT_NE(rejection("receiver-slow:1s:1s:0s").find("more than 0"), std::string::npos);
}

TEST(check_faults, refuses_overlapping_faults_of_one_kind) {
  check_faults({parse_fault("link-cut:1s:1s"), parse_fault("link-cut:2s:1s")});  // touching: ok
  check_faults({parse_fault("link-cut:1s:2s"), parse_fault("receiver-down:1s:2s")});
  try {
    check_faults({parse_fault("link-cut:1s:2s"), parse_fault("link-cut:2s:2s")});
    FAIL() << "overlap accepted";
  } catch (const usage_error& e) {
    EXPECT_NE(std::string(e.what()).find("overlap"), std::string::npos);
  }
  EXPECT_TRUE(is_receiver_fault(fault_kind::receiver_slow));
  EXPECT_FALSE(is_receiver_fault(fault_kind::link_cut));
}

}  // namespace
}  // namespace hookbench
