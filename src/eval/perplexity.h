#pragma once
// Perplexity and next-token distribution comparison over logits: the arithmetic of
// llama.cpp's `perplexity` (including its `--kl-divergence` statistics), independent of the
// model and the tokenizer. Logits are fp32 rows of `vocab` values; everything derived from
// them (log-softmax, NLL, KL) is computed in double.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace finefp8::eval {

// How a token sequence is cut into windows: non-overlapping chunks of n_ctx tokens; in each,
// the logits at positions [first, n_ctx - 1) predict the tokens at [first + 1, n_ctx), with
// first = n_ctx / 2, so every scored token has at least n_ctx / 2 tokens of context
// (llama.cpp's perplexity, without its batching).
struct ChunkPlan {
  size_t n_ctx = 0;     // tokens per window
  size_t n_chunks = 0;  // windows evaluated
  size_t first = 0;     // n_ctx / 2: position of the first scoring logit row
  size_t scored_per_chunk() const { return n_ctx - first - 1; }
};

inline constexpr size_t kMinContext = 4;

// The plan for n_tokens tokens: floor(n_tokens / n_ctx) chunks, at most max_chunks (0: no
// limit). Throws Error if n_ctx < kMinContext or the text is shorter than one window.
ChunkPlan plan_chunks(size_t n_tokens, size_t n_ctx, size_t max_chunks);

// The ids of window `chunk` (< plan.n_chunks): tokens[chunk * n_ctx, (chunk + 1) * n_ctx),
// the first replaced by `bos` when given (llama.cpp starts every chunk with BOS when the
// tokenizer adds one).
std::vector<int32_t> chunk_window(std::span<const int32_t> tokens, const ChunkPlan& plan,
                                  size_t chunk, std::optional<int32_t> bos);

// log p(target) under softmax(logits): logits[target] - max - log(sum exp(logits - max)).
// Throws Error if target is outside [0, logits.size()).
double log_prob(std::span<const float> logits, int32_t target);

// Negative log-likelihoods of a window's scored tokens (plan.scored_per_chunk() values):
// logits are [plan.n_ctx, vocab] row-major, the model's outputs for `window`.
std::vector<double> score_window(std::span<const float> logits, size_t vocab,
                                 std::span<const int32_t> window, const ChunkPlan& plan);

// Running sums of NLLs (natural log): perplexity and its error bar as llama.cpp reports them.
class NllAccumulator {
 public:
  void add(double nll);
  void add(std::span<const double> nlls);
  size_t count() const { return n_; }
  double mean() const;  // mean NLL; NaN when empty
  double ppl() const;   // exp(mean())
  // llama.cpp's "+/-": the standard error of the mean NLL, sqrt((E[x^2] - E[x]^2) / (n - 1)),
  // propagated to PPL (d exp(m) = exp(m) dm). 0 when n < 2.
  double ppl_sd() const;

 private:
  double sum_ = 0, sum_sq_ = 0;
  size_t n_ = 0;
};

// One position's baseline and variant next-token distributions compared.
struct RowComparison {
  double kl = 0;           // KL(base || variant) = sum_v p_base(v) (log p_base(v) - log p_variant(v)), nats
  bool same_top1 = false;  // argmax equal (lowest index wins ties)
};
// Throws Error if the rows differ in length or are empty.
RowComparison compare_rows(std::span<const float> base, std::span<const float> variant);

// Statistics of many RowComparisons (keeps every KL value, 4 bytes each, for percentiles).
class ComparisonAccumulator {
 public:
  void add(const RowComparison& r);
  size_t count() const { return kl_.size(); }
  double mean_kl() const;                 // NaN when empty
  double kl_percentile(double q) const;   // q in [0, 1]; NaN when empty
  double top1_agreement() const;          // fraction in [0, 1]; NaN when empty

 private:
  std::vector<float> kl_;
  size_t same_top1_ = 0;
};

// The q-quantile (q in [0, 1]) with linear interpolation between closest ranks (numpy's
// default "linear" method). NaN when values is empty. Throws Error if q is outside [0, 1].
double percentile(std::vector<double> values, double q);

// Mean and sample standard deviation (n - 1 denominator; 0 when n < 2), as llama-bench
// reports tokens/s.
struct MeanSd {
  double mean = 0, sd = 0;
};
MeanSd mean_sd(std::span<const double> samples);

}  // namespace finefp8::eval
