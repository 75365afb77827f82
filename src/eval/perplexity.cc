#include "eval/perplexity.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "util/error.h"

namespace finefp8::eval {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// log(sum exp(row)) computed as max + log(sum exp(row - max)) in double. NaN if any value is
// NaN; -inf if all are -inf.
double log_sum_exp(std::span<const float> row) {
  double max = -std::numeric_limits<double>::infinity();
  for (float v : row) {
    if (std::isnan(v)) return kNaN;
    max = std::max(max, double(v));
  }
  if (std::isinf(max)) return max;
  double sum = 0;
  for (float v : row) sum += std::exp(double(v) - max);
  return max + std::log(sum);
}

// Index of the largest value (the lowest such index on ties).
size_t argmax(std::span<const float> row) {
  return size_t(std::max_element(row.begin(), row.end()) - row.begin());
}

}  // namespace

ChunkPlan plan_chunks(size_t n_tokens, size_t n_ctx, size_t max_chunks) {
  if (n_ctx < kMinContext) fail("--ctx {} is too small: at least {} tokens are needed", n_ctx, kMinContext);
  if (n_tokens < n_ctx) {
    fail("the text has {} tokens, fewer than one window of --ctx {}: use a longer text or a smaller --ctx",
         n_tokens, n_ctx);
  }
  ChunkPlan p;
  p.n_ctx = n_ctx;
  p.first = n_ctx / 2;
  p.n_chunks = n_tokens / n_ctx;
  if (max_chunks > 0) p.n_chunks = std::min(p.n_chunks, max_chunks);
  return p;
}

std::vector<int32_t> chunk_window(std::span<const int32_t> tokens, const ChunkPlan& plan,
                                  size_t chunk, std::optional<int32_t> bos) {
  FINEFP8_ASSERT(chunk < plan.n_chunks && (chunk + 1) * plan.n_ctx <= tokens.size());
  std::vector<int32_t> w(tokens.begin() + chunk * plan.n_ctx, tokens.begin() + (chunk + 1) * plan.n_ctx);
  if (bos) w[0] = *bos;
  return w;
}

double log_prob(std::span<const float> logits, int32_t target) {
  if (target < 0 || size_t(target) >= logits.size()) {
    fail("token id {} is outside the model's vocabulary of {}", target, logits.size());
  }
  return double(logits[size_t(target)]) - log_sum_exp(logits);
}

std::vector<double> score_window(std::span<const float> logits, size_t vocab,
                                 std::span<const int32_t> window, const ChunkPlan& plan) {
  FINEFP8_ASSERT(window.size() == plan.n_ctx && logits.size() == plan.n_ctx * vocab);
  std::vector<double> nll;
  nll.reserve(plan.scored_per_chunk());
  for (size_t pos = plan.first; pos + 1 < plan.n_ctx; ++pos) {
    nll.push_back(-log_prob(logits.subspan(pos * vocab, vocab), window[pos + 1]));
  }
  return nll;
}

void NllAccumulator::add(double nll) {
  sum_ += nll;
  sum_sq_ += nll * nll;
  ++n_;
}

void NllAccumulator::add(std::span<const double> nlls) {
  for (double x : nlls) add(x);
}

double NllAccumulator::mean() const { return n_ == 0 ? kNaN : sum_ / double(n_); }

double NllAccumulator::ppl() const { return std::exp(mean()); }

double NllAccumulator::ppl_sd() const {
  if (n_ < 2) return 0;
  const double m = mean();
  const double var = sum_sq_ / double(n_) - m * m;  // population variance, as llama.cpp
  return var > 0 ? ppl() * std::sqrt(var / double(n_ - 1)) : 0;
}

RowComparison compare_rows(std::span<const float> base, std::span<const float> variant) {
  if (base.empty() || base.size() != variant.size()) {
    fail("cannot compare logit rows of {} and {} values (the models' vocabularies differ?)",
         base.size(), variant.size());
  }
  const double lse_b = log_sum_exp(base), lse_v = log_sum_exp(variant);
  double kl = 0;
  for (size_t i = 0; i < base.size(); ++i) {
    const double lb = double(base[i]) - lse_b;
    const double p = std::exp(lb);
    if (p > 0) kl += p * (lb - (double(variant[i]) - lse_v));
  }
  if (std::isnan(lse_b) || std::isnan(lse_v)) kl = kNaN;
  // KL >= 0; rounding can leave -1e-17 for near-identical rows.
  return {std::isnan(kl) ? kl : std::max(kl, 0.0), argmax(base) == argmax(variant)};
}

void ComparisonAccumulator::add(const RowComparison& r) {
  kl_.push_back(float(r.kl));
  same_top1_ += r.same_top1 ? 1 : 0;
}

double ComparisonAccumulator::mean_kl() const {
  if (kl_.empty()) return kNaN;
  double s = 0;
  for (float k : kl_) s += k;
  return s / double(kl_.size());
}

double ComparisonAccumulator::kl_percentile(double q) const {
  return percentile(std::vector<double>(kl_.begin(), kl_.end()), q);
}

double ComparisonAccumulator::top1_agreement() const {
  return kl_.empty() ? kNaN : double(same_top1_) / double(kl_.size());
}

double percentile(std::vector<double> values, double q) {
  if (!(q >= 0 && q <= 1)) fail("percentile {} is outside [0, 1]", q);
  if (values.empty()) return kNaN;
  for (double v : values) {
    if (std::isnan(v)) return kNaN;  // NaN would break the sort's ordering
  }
  std::sort(values.begin(), values.end());
  const double rank = q * double(values.size() - 1);
  const size_t lo = size_t(std::floor(rank));
  const size_t hi = std::min(lo + 1, values.size() - 1);
  return values[lo] + (rank - double(lo)) * (values[hi] - values[lo]);
}

MeanSd mean_sd(std::span<const double> samples) {
  MeanSd r;
  if (samples.empty()) return {kNaN, 0};
  for (double s : samples) r.mean += s;
  r.mean /= double(samples.size());
  if (samples.size() < 2) return r;
  double ss = 0;
  for (double s : samples) ss += (s - r.mean) * (s - r.mean);
  r.sd = std::sqrt(ss / double(samples.size() - 1));
  return r;
}

}  // namespace finefp8::eval
