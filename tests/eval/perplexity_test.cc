// src/eval/perplexity: the llama.cpp perplexity / KL arithmetic on hand-made logits, with
// expected values worked out in closed form (and numpy's percentile).
#include "eval/perplexity.h"

#include <cmath>
#include <limits>
#include <vector>

#include <gtest/gtest.h>

#include "eval/throughput.h"
#include "util/error.h"

namespace finefp8::eval {
namespace {

TEST(PlanChunks, CutsNonOverlappingWindowsAndScoresTheSecondHalf) {
  const ChunkPlan p = plan_chunks(1000, 256, 0);
  EXPECT_EQ(p.n_ctx, 256u);
  EXPECT_EQ(p.n_chunks, 3u);  // floor(1000 / 256); the tail is dropped as llama.cpp does
  EXPECT_EQ(p.first, 128u);
  EXPECT_EQ(p.scored_per_chunk(), 127u);
  EXPECT_EQ(plan_chunks(1000, 256, 2).n_chunks, 2u);
  EXPECT_EQ(plan_chunks(1000, 256, 99).n_chunks, 3u);
  EXPECT_EQ(plan_chunks(5, 5, 0).scored_per_chunk(), 2u);  // odd n_ctx: first = 2, rows 2..3
}

TEST(PlanChunks, RejectsShortTextsAndTinyWindowsWithAMessage) {
  try {
    plan_chunks(100, 512, 0);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("100 tokens"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("--ctx 512"), std::string::npos) << e.what();
  }
  EXPECT_THROW(plan_chunks(100, 3, 0), Error);
}

TEST(ChunkWindow, ReplacesTheFirstTokenWithBos) {
  std::vector<int32_t> t(20);
  for (int i = 0; i < 20; ++i) t[i] = 100 + i;
  const ChunkPlan p = plan_chunks(t.size(), 8, 0);
  EXPECT_EQ(chunk_window(t, p, 1, std::nullopt), (std::vector<int32_t>{108, 109, 110, 111, 112, 113, 114, 115}));
  EXPECT_EQ(chunk_window(t, p, 1, 1), (std::vector<int32_t>{1, 109, 110, 111, 112, 113, 114, 115}));
}

TEST(LogProb, IsStableForLargeLogitsAndChecksTheTarget) {
  const std::vector<float> uniform(1000, 3.0f);
  EXPECT_NEAR(log_prob(uniform, 17), -std::log(1000.0), 1e-12);
  const std::vector<float> big{1e4f, 1e4f - 1, 1e4f - 2};  // exp(1e4) overflows without the max
  const double z = 1 + std::exp(-1.0) + std::exp(-2.0);
  EXPECT_NEAR(log_prob(big, 0), -std::log(z), 1e-12);
  EXPECT_NEAR(log_prob(big, 2), -2 - std::log(z), 1e-12);
  EXPECT_THROW(log_prob(big, 3), Error);
  EXPECT_THROW(log_prob(big, -1), Error);
  const std::vector<float> with_nan{0.0f, std::numeric_limits<float>::quiet_NaN()};
  EXPECT_TRUE(std::isnan(log_prob(with_nan, 0)));
}

TEST(ScoreWindow, ScoresTheNextTokenFromRowsFirstToNctxMinusTwo) {
  // vocab 4, n_ctx 6: rows 3 and 4 score tokens 4 and 5. Row r puts logit ln(r + 1) on id 1.
  const size_t V = 4;
  const ChunkPlan p = plan_chunks(6, 6, 0);
  std::vector<float> logits(6 * V, 0.0f);
  for (size_t r = 0; r < 6; ++r) logits[r * V + 1] = float(std::log(double(r + 1)));
  const std::vector<int32_t> window{1, 0, 0, 0, 1, 2};
  const std::vector<double> nll = score_window(logits, V, window, p);
  ASSERT_EQ(nll.size(), 2u);
  // Row 3: p(1) = 4 / 7 for token 1; row 4: p(2) = 1 / 8 for token 2 (fp32 logit rounding: 1e-7).
  EXPECT_NEAR(nll[0], -std::log(4.0 / 7.0), 1e-7);
  EXPECT_NEAR(nll[1], -std::log(1.0 / 8.0), 1e-7);
}

TEST(NllAccumulator, ReportsPplAndLlamaCppStandardError) {
  NllAccumulator a;
  EXPECT_TRUE(std::isnan(a.mean()));
  a.add(1.0);
  EXPECT_EQ(a.ppl_sd(), 0.0);
  a.add(std::vector<double>{2.0, 3.0, 4.0});
  EXPECT_EQ(a.count(), 4u);
  EXPECT_DOUBLE_EQ(a.mean(), 2.5);
  EXPECT_DOUBLE_EQ(a.ppl(), std::exp(2.5));
  // population variance 1.25, standard error sqrt(1.25 / 3)
  EXPECT_NEAR(a.ppl_sd(), std::exp(2.5) * std::sqrt(1.25 / 3), 1e-12);
}

TEST(CompareRows, KlOfKnownDistributionsAndTop1) {
  const std::vector<float> base{float(std::log(0.5)), float(std::log(0.5))};
  const std::vector<float> var{float(std::log(0.9)), float(std::log(0.1))};
  const RowComparison r = compare_rows(base, var);
  const double want = 0.5 * std::log(0.5 / 0.9) + 0.5 * std::log(0.5 / 0.1);
  EXPECT_NEAR(r.kl, want, 1e-7);
  EXPECT_TRUE(r.same_top1);  // tie in base: lowest index 0, the variant's argmax
  // Softmax is shift invariant: so is KL.
  const std::vector<float> shifted{var[0] + 50, var[1] + 50};
  EXPECT_NEAR(compare_rows(base, shifted).kl, want, 1e-6);
  const RowComparison same = compare_rows(var, var);
  EXPECT_EQ(same.kl, 0.0);
  EXPECT_TRUE(same.same_top1);
  const std::vector<float> swapped{var[1], var[0]};
  EXPECT_FALSE(compare_rows(var, swapped).same_top1);
  const float inf = std::numeric_limits<float>::infinity();
  EXPECT_TRUE(std::isinf(compare_rows(base, std::vector<float>{0.0f, -inf}).kl));
  EXPECT_NEAR(compare_rows(std::vector<float>{0.0f, -inf}, base).kl, std::log(2.0), 1e-12);
  EXPECT_THROW(compare_rows(base, std::vector<float>{1, 2, 3}), Error);
}

TEST(Percentile, InterpolatesLikeNumpy) {
  std::vector<double> v(1000);
  for (int i = 0; i < 1000; ++i) v[i] = 999 - i;  // unsorted on purpose
  EXPECT_NEAR(percentile(v, 0.999), 998.001, 1e-9);  // numpy.percentile(range(1000), 99.9)
  EXPECT_EQ(percentile(v, 0), 0.0);
  EXPECT_EQ(percentile(v, 1), 999.0);
  EXPECT_EQ(percentile({1, 2, 3, 4, 5}, 0.5), 3.0);
  EXPECT_EQ(percentile({7}, 0.999), 7.0);
  EXPECT_TRUE(std::isnan(percentile({}, 0.5)));
  EXPECT_TRUE(std::isnan(percentile({1, std::numeric_limits<double>::quiet_NaN()}, 0.5)));
  EXPECT_THROW(percentile({1}, 1.5), Error);
}

TEST(ComparisonAccumulator, MeanPercentileAndAgreement) {
  ComparisonAccumulator a;
  EXPECT_TRUE(std::isnan(a.mean_kl()));
  a.add({0.0, true});
  a.add({0.5, true});
  a.add({1.0, false});
  a.add({2.5, true});
  EXPECT_EQ(a.count(), 4u);
  EXPECT_DOUBLE_EQ(a.mean_kl(), 1.0);
  EXPECT_DOUBLE_EQ(a.top1_agreement(), 0.75);
  EXPECT_NEAR(a.kl_percentile(0.999), 1.0 + (3 * 0.999 - 2) * 1.5, 1e-6);
}

TEST(MeanSd, SampleStandardDeviation) {
  const MeanSd m = mean_sd(std::vector<double>{1, 2, 3, 4});
  EXPECT_DOUBLE_EQ(m.mean, 2.5);
  EXPECT_NEAR(m.sd, std::sqrt(5.0 / 3.0), 1e-12);
  EXPECT_EQ(mean_sd(std::vector<double>{42}).sd, 0.0);
}

TEST(BenchTokenIds, DeterministicAndInRange) {
  const auto a = bench_token_ids(500, 37), b = bench_token_ids(500, 37);
  EXPECT_EQ(a, b);
  for (int32_t id : a) EXPECT_TRUE(id >= 0 && id < 37);
  EXPECT_NE(bench_token_ids(50, 1000, 1), bench_token_ids(50, 1000, 2));
}

}  // namespace
}  // namespace finefp8::eval
