#pragma once
// Choosing the next token from logits, in transformers' order: repetition penalty, then
// temperature, top-k, top-p, min-p, then a draw. temperature 0 (or do_sample false) is
// greedy: the lowest id among the maximal logits, deterministic.
#include <cstdint>
#include <random>
#include <span>
#include <vector>

namespace finefp8 {

struct SamplingConfig {
  float temperature = 0.0f;         // 0: greedy
  int top_k = 0;                    // 0: off
  float top_p = 1.0f;               // 1: off
  float min_p = 0.0f;               // 0: off
  float repetition_penalty = 1.0f;  // 1: off (CTRL-style, as transformers)
  uint64_t seed = 0;
};

class Sampler {
 public:
  explicit Sampler(const SamplingConfig& cfg);
  // `logits` [vocab] (modified in place); `history`: tokens so far (prompt included), for
  // the repetition penalty.
  int32_t sample(std::span<float> logits, std::span<const int32_t> history);

 private:
  SamplingConfig cfg_;
  std::mt19937_64 rng_;
  std::vector<std::pair<float, int32_t>> candidates_;
};

// Index of the largest value (the first on ties).
int32_t argmax(std::span<const float> v);

}  // namespace finefp8
