#pragma once
// llama-bench's two speed tests on a CausalLM: prompt processing (pp: one forward of
// n tokens from an empty context) and token generation (tg: n single-token forwards from an
// empty context, as llama-bench's tg test does, without a prompt).
#include <cstddef>
#include <cstdint>
#include <vector>

#include "model/causal_lm.h"

namespace finefp8::eval {

// n pseudo-random token ids in [0, vocab) from a fixed-seed generator: the same ids on every
// run and machine, so configs and runs time identical work.
std::vector<int32_t> bench_token_ids(size_t n, size_t vocab, uint64_t seed = 1234);

// reset(), then forward(ids) in one call (last-token logits only). Returns tokens/s.
// ids.size() must fit the model's context (Error otherwise).
double time_prompt(CausalLM& model, const std::vector<int32_t>& ids);

// reset(), then forward(ids[i]) one token at a time. Returns tokens/s.
double time_generation(CausalLM& model, const std::vector<int32_t>& ids);

}  // namespace finefp8::eval
