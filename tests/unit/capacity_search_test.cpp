// The capacity search's logic (orchestrator/capacity_search) with a fake "sustains(rate)": the
// bracket and bisection, then the confirmation runs that make the answer monotone (it held in all
// its runs, the step above failed in at least one), and the moves when one run was lucky or not.
#include "orchestrator/capacity_search.hpp"

#include <gtest/gtest.h>

#include <map>
#include <vector>

namespace hookbench {
namespace {

// A machine whose capacity is `limit`: every rate at or below it holds, every rate above fails,
// except the scripted outcomes, consumed in order per rate (a lucky or an unlucky run).
struct fake_machine {
  double limit;
  std::map<double, std::vector<bool>> scripted;
  std::vector<double> calls;

  bool operator()(double rate) {
    calls.push_back(rate);
    auto it = scripted.find(rate);
    if (it != scripted.end() && !it->second.empty()) {
      const bool outcome = it->second.front();
      it->second.erase(it->second.begin());
      return outcome;
    }
    return rate <= limit;
  }
  int runs_at(double rate) const {
    int n = 0;
    for (double c : calls) n += c == rate;
    return n;
  }
};

rate_search search(fake_machine& m, double start, capacity_options o = {}) {
  return search_max_rate(start, o, [&](double r) { return m(r); });
}

TEST(capacity_search, round_rate_keeps_three_significant_digits) {
  EXPECT_DOUBLE_EQ(round_rate(104'567), 105'000);
  EXPECT_DOUBLE_EQ(round_rate(1'000), 1'000);
  EXPECT_DOUBLE_EQ(round_rate(0.3333), 0.333);
}

TEST(capacity_search, a_clean_machine_is_found_and_confirmed_at_its_edge) {
  fake_machine m{50'000, {}, {}};
  const rate_search r = search(m, 1'000);
  ASSERT_TRUE(r.max_sustained && r.first_not_sustained);
  EXPECT_LE(*r.max_sustained, 50'000);
  EXPECT_GT(*r.first_not_sustained, 50'000);
  // Five geometric bisections of the 32k..64k bracket: within 2^(1/32) of the edge.
  EXPECT_GT(*r.max_sustained, 50'000 / 1.03);
  EXPECT_TRUE(r.confirmed);
  EXPECT_EQ(r.moves, 0);
  // The answer ran once in the search and 3 times more; the step above failed at its first re-run.
  EXPECT_EQ(m.runs_at(*r.max_sustained), 4);
  EXPECT_EQ(m.runs_at(*r.first_not_sustained), 2);
}

TEST(capacity_search, without_confirmation_one_run_per_rate) {
  fake_machine m{50'000, {}, {}};
  capacity_options o;
  o.confirm_repeats = 0;
  const rate_search r = search(m, 1'000, o);
  EXPECT_FALSE(r.confirmed);
  for (double c : m.calls) EXPECT_EQ(m.runs_at(c), 1) << c;
}

TEST(capacity_search, a_lucky_run_above_the_capacity_is_not_the_answer) {
  // The search's one run at the answer was lucky: the machine holds 40k, not what the search
  // found. Bracket first without luck to learn where the search ends, then script luck there.
  fake_machine probe{50'000, {}, {}};
  capacity_options o;
  o.confirm_repeats = 0;
  const double found = *search(probe, 1'000, o).max_sustained;

  const double limit = found / 1.05;  // a few steps of the final bracket below
  fake_machine m{limit, {}, {}};
  // Every rate the clean search held must hold here once too for the bracket to end at `found`.
  for (double c : probe.calls) {
    if (c <= found && c > limit) m.scripted[c] = {true};
  }
  const rate_search r = search(m, 1'000);
  ASSERT_TRUE(r.max_sustained && r.first_not_sustained);
  EXPECT_TRUE(r.confirmed);
  EXPECT_GE(r.moves, 1);
  EXPECT_LE(*r.max_sustained, limit);
  EXPECT_GT(*r.max_sustained, limit / 1.05);
  EXPECT_GT(*r.first_not_sustained, *r.max_sustained);
  // Monotone: the answer held in all of its runs, the step above failed in at least one.
  EXPECT_GE(m.runs_at(*r.max_sustained), 3);
}

TEST(capacity_search, an_unlucky_run_below_the_capacity_moves_the_answer_up) {
  // 60k held in truth, but the search's one run there failed: the step above the answer holds
  // in every confirmation run, so the answer moves up until the step above fails.
  fake_machine probe{60'000, {}, {}};
  capacity_options o;
  o.confirm_repeats = 0;
  search(probe, 1'000, o);
  fake_machine m{60'000, {}, {}};
  // Script a failure at the first bisection point below 60k that the clean search held.
  double unlucky = 0;
  for (double c : probe.calls) {
    if (c < 60'000 && c > 40'000) unlucky = c;
  }
  ASSERT_GT(unlucky, 0);
  m.scripted[unlucky] = {false};
  const rate_search r = search(m, 1'000);
  ASSERT_TRUE(r.max_sustained);
  EXPECT_TRUE(r.confirmed);
  EXPECT_GE(*r.max_sustained, unlucky);
  EXPECT_LE(*r.max_sustained, 60'000);
  ASSERT_TRUE(r.first_not_sustained);
  EXPECT_GT(*r.first_not_sustained, 60'000);
  EXPECT_GE(r.moves, 1);
}

TEST(capacity_search, a_flaky_answer_fails_in_confirmation_and_the_answer_steps_down) {
  // The found rate fails on its second re-run: it is not an answer, and it is not run again
  // when it becomes the step above; one step down holds.
  fake_machine probe{50'000, {}, {}};
  capacity_options o;
  o.confirm_repeats = 0;
  const double found = *search(probe, 1'000, o).max_sustained;
  fake_machine m{50'000, {{found, {true, true, false}}}, {}};
  const rate_search r = search(m, 1'000);
  ASSERT_TRUE(r.max_sustained && r.first_not_sustained);
  EXPECT_LT(*r.max_sustained, found);
  EXPECT_DOUBLE_EQ(*r.first_not_sustained, found);
  EXPECT_TRUE(r.confirmed);
  EXPECT_EQ(r.moves, 1);
  EXPECT_GE(m.runs_at(*r.max_sustained), 3);
  EXPECT_EQ(m.runs_at(found), 3);  // the search's run and two confirmation runs, none after
}

TEST(capacity_search, moves_are_bounded_and_an_unsettled_search_says_so) {
  // Every re-run fails: no rate confirms; the search stops after confirm_moves steps down.
  fake_machine m{50'000, {}, {}};
  int first_calls = 0;
  capacity_options o;
  o.confirm_moves = 2;
  const rate_search r = search_max_rate(1'000, o, [&](double rate) {
    ++first_calls;
    // The bracket and bisection see a clean machine; afterwards nothing holds.
    return first_calls <= 12 ? m(rate) : false;
  });
  EXPECT_FALSE(r.confirmed);
  EXPECT_FALSE(r.max_sustained);
  EXPECT_EQ(r.moves, 2);
  EXPECT_LT(first_calls, 30);
}

TEST(capacity_search, nothing_sustained_down_to_the_minimum) {
  fake_machine m{0.5, {}, {}};
  const rate_search r = search(m, 100);
  EXPECT_FALSE(r.max_sustained);
  ASSERT_TRUE(r.first_not_sustained);
  EXPECT_FALSE(r.confirmed);
}

TEST(capacity_search, reaching_the_maximum_confirms_the_top) {
  fake_machine m{1e9, {}, {}};
  capacity_options o;
  o.max_rate = 10'000;
  const rate_search r = search(m, 1'000, o);
  ASSERT_TRUE(r.max_sustained);
  EXPECT_DOUBLE_EQ(*r.max_sustained, 8'000);
  EXPECT_FALSE(r.first_not_sustained);
  EXPECT_TRUE(r.confirmed);
  EXPECT_EQ(m.runs_at(8'000), 4);
}

TEST(capacity_search, json_fields_say_what_was_confirmed) {
  rate_search r;
  r.max_sustained = 48'600;
  r.first_not_sustained = 49'700;
  r.confirmed = true;
  r.moves = 1;
  capacity_options o;
  const nlohmann::json j = search_fields(r, o);
  EXPECT_EQ(j.at("max_sustained_rate"), 48'600);
  EXPECT_EQ(j.at("first_not_sustained"), 49'700);
  EXPECT_EQ(j.at("confirmation").at("repeats"), 3);
  EXPECT_EQ(j.at("confirmation").at("confirmed"), true);
  EXPECT_EQ(j.at("confirmation").at("moves"), 1);
  r.max_sustained.reset();
  r.first_not_sustained.reset();
  r.confirmed = false;
  const nlohmann::json none = search_fields(r, o);
  EXPECT_TRUE(none.at("max_sustained_rate").is_null());
  EXPECT_TRUE(none.at("first_not_sustained").is_null());
  EXPECT_EQ(none.at("confirmation").at("confirmed"), false);
}

}  // namespace
}  // namespace hookbench
