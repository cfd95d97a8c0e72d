#include "engine/scheduler/stop_conditions.h"

#include <gtest/gtest.h>

namespace turbine {
namespace {

constexpr int32_t kEos = 2;

// Matches when the sampled ids spell the sequence {seq...} (a stand-in for detokenized text).
class SequenceMatcher : public StopStringMatcher {
 public:
  explicit SequenceMatcher(std::vector<int32_t> pattern) : pattern_(std::move(pattern)) {}
  bool append_token(int32_t token_id, bool may_stop) override {
    seen_.push_back(token_id);
    ++calls;
    const bool hit = seen_.size() >= pattern_.size() &&
                     std::equal(pattern_.begin(), pattern_.end(), seen_.end() - ptrdiff_t(pattern_.size()));
    return hit && may_stop;
  }
  std::unique_ptr<StopStringMatcher> clone_initial() const override {
    return std::make_unique<SequenceMatcher>(pattern_);
  }
  int calls = 0;

 private:
  std::vector<int32_t> pattern_;
  std::vector<int32_t> seen_;
};

class StopConditionsTest : public ::testing::Test {
 protected:
  std::optional<StopVerdict> append(int32_t token) {
    request.append_output_token(token);
    return check_stop(request, config);
  }
  SchedulerConfig config{.max_model_len = 100, .eos_token_ids = {kEos, 3}};
  Request request{"r", {10, 11, 12}, RequestParams{.max_tokens = 5}};
};

TEST_F(StopConditionsTest, EosStopsUnlessIgnored) {
  EXPECT_FALSE(append(50).has_value());
  auto verdict = append(3);  // the second EOS id
  ASSERT_TRUE(verdict.has_value());
  EXPECT_EQ(verdict->status, RequestStatus::kFinishedStopped);
  EXPECT_FALSE(verdict->stop_token_id.has_value());

  request = Request{"r", {10}, RequestParams{.max_tokens = 5, .ignore_eos = true}};
  EXPECT_FALSE(append(kEos).has_value());
}

TEST_F(StopConditionsTest, StopTokenIdsStopAndAreReported) {
  request = Request{"r", {10}, RequestParams{.max_tokens = 5, .ignore_eos = true, .stop_token_ids = {77}}};
  EXPECT_FALSE(append(kEos).has_value());
  auto verdict = append(77);
  ASSERT_TRUE(verdict.has_value());
  EXPECT_EQ(verdict->status, RequestStatus::kFinishedStopped);
  EXPECT_EQ(verdict->stop_token_id, 77);
}

TEST_F(StopConditionsTest, MaxTokensAndContextLengthGiveLength) {
  for (int i = 0; i < 4; ++i) EXPECT_FALSE(append(50).has_value());
  auto verdict = append(50);
  ASSERT_TRUE(verdict.has_value());
  EXPECT_EQ(verdict->status, RequestStatus::kFinishedLength);

  config.max_model_len = 5;
  request = Request{"r", {10, 11, 12}, RequestParams{.max_tokens = 50}};
  EXPECT_FALSE(append(50).has_value());
  EXPECT_EQ(append(50)->status, RequestStatus::kFinishedLength);
}

TEST_F(StopConditionsTest, StopBeatsLengthOnTheSameToken) {
  for (int i = 0; i < 4; ++i) append(50);
  EXPECT_EQ(append(kEos)->status, RequestStatus::kFinishedStopped);
}

TEST_F(StopConditionsTest, MinTokensSuppressesEosStopTokensAndStopStrings) {
  request = Request{"r", {10}, RequestParams{.max_tokens = 10, .min_tokens = 3, .stop_token_ids = {77}}};
  auto matcher = std::make_unique<SequenceMatcher>(std::vector<int32_t>{60});
  SequenceMatcher* m = matcher.get();
  request.stop_strings = std::move(matcher);
  EXPECT_FALSE(append(kEos).has_value());
  EXPECT_FALSE(append(77).has_value());
  EXPECT_EQ(m->calls, 2);  // the matcher sees every token, even before min_tokens
  EXPECT_FALSE(append(50).has_value());
  EXPECT_EQ(append(60)->status, RequestStatus::kFinishedStopped);  // the 4th token, past min_tokens
}

TEST_F(StopConditionsTest, StopStringMatcherFinishesTheRequest) {
  request.stop_strings = std::make_unique<SequenceMatcher>(std::vector<int32_t>{60, 61});
  EXPECT_FALSE(append(60).has_value());
  auto verdict = append(61);
  ASSERT_TRUE(verdict.has_value());
  EXPECT_EQ(verdict->status, RequestStatus::kFinishedStopped);
  EXPECT_FALSE(verdict->stop_token_id.has_value());
}

}  // namespace
}  // namespace turbine
