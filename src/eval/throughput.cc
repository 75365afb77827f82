#include "eval/throughput.h"

#include <chrono>
#include <random>
#include <span>

namespace finefp8::eval {
namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

std::vector<int32_t> bench_token_ids(size_t n, size_t vocab, uint64_t seed) {
  std::mt19937_64 rng(seed);  // fully specified by the standard: identical everywhere
  std::vector<int32_t> ids(n);
  for (auto& id : ids) id = int32_t(rng() % vocab);
  return ids;
}

double time_prompt(CausalLM& model, const std::vector<int32_t>& ids) {
  model.reset();
  const auto t0 = std::chrono::steady_clock::now();
  model.forward(ids, /*all_logits=*/false);
  return double(ids.size()) / seconds_since(t0);
}

double time_generation(CausalLM& model, const std::vector<int32_t>& ids) {
  model.reset();
  const auto t0 = std::chrono::steady_clock::now();
  for (const int32_t& id : ids) model.forward(std::span<const int32_t>(&id, 1));
  return double(ids.size()) / seconds_since(t0);
}

}  // namespace finefp8::eval
