#include "model/sampler.h"

#include <algorithm>
#include <cmath>

namespace finefp8 {

int32_t argmax(std::span<const float> v) {
  return int32_t(std::max_element(v.begin(), v.end()) - v.begin());
}

Sampler::Sampler(const SamplingConfig& cfg) : cfg_(cfg), rng_(cfg.seed) {}

int32_t Sampler::sample(std::span<float> logits, std::span<const int32_t> history) {
  if (cfg_.repetition_penalty != 1.0f) {
    // Once per distinct token of the history, as transformers' gather/scatter does.
    std::vector<bool> seen(logits.size(), false);
    for (int32_t t : history) {
      if (t < 0 || size_t(t) >= logits.size() || seen[size_t(t)]) continue;
      seen[size_t(t)] = true;
      float& l = logits[size_t(t)];
      l = l < 0 ? l * cfg_.repetition_penalty : l / cfg_.repetition_penalty;
    }
  }
  if (cfg_.temperature <= 0.0f) return argmax(logits);

  candidates_.clear();
  for (size_t i = 0; i < logits.size(); ++i) {
    candidates_.emplace_back(logits[i] / cfg_.temperature, int32_t(i));
  }
  std::sort(candidates_.begin(), candidates_.end(),
            [](const auto& a, const auto& b) { return a.first > b.first || (a.first == b.first && a.second < b.second); });
  if (cfg_.top_k > 0 && size_t(cfg_.top_k) < candidates_.size()) candidates_.resize(size_t(cfg_.top_k));
  // Softmax over the survivors.
  const float mx = candidates_.front().first;
  std::vector<float> p(candidates_.size());
  double sum = 0;
  for (size_t i = 0; i < p.size(); ++i) sum += (p[i] = std::exp(candidates_[i].first - mx));
  for (float& v : p) v = float(v / sum);
  if (cfg_.top_p < 1.0f) {
    // Keep the smallest prefix whose mass reaches top_p (at least one token).
    double cum = 0;
    size_t keep = 0;
    while (keep < p.size()) {
      cum += p[keep++];
      if (cum >= cfg_.top_p) break;
    }
    p.resize(keep);
  }
  if (cfg_.min_p > 0.0f) {
    const float floor = cfg_.min_p * p.front();
    size_t keep = 1;
    while (keep < p.size() && p[keep] >= floor) ++keep;
    p.resize(keep);
  }
  std::discrete_distribution<size_t> pick(p.begin(), p.end());
  return candidates_[pick(rng_)].second;
}

}  // namespace finefp8
