#pragma once
// The inner loop of causal attention: one query head against n cached positions.
//
//   scores[p] = scale * dot(q, K_p)                    p in [0, n)
//   out[d]    = sum_p softmax(scores)_p * V_p[d]       d in [0, head_dim), fp32 (not rounded)
//
// K_p = k + p * stride and V_p = v + p * stride (the KV cache rows of one KV head). Rounding
// to the activation dtype is the caller's. attend_ref is the specification: dot products in 8
// interleaved fp32 partial sums, std::exp, sums in position order. The SIMD tiers use wider
// partial sums and a polynomial exp (relative error < 2e-7): tests/cpu/attention_test.cc
// holds them to 1e-5 of the output's scale.
#include <cstddef>

namespace finefp8::cpu {

struct AttendArgs {
  const float* q;       // [head_dim]
  const float* k;       // position p's key at k + p * stride, [head_dim]
  const float* v;       // position p's value at v + p * stride, [head_dim]
  size_t n;             // positions, >= 1
  size_t head_dim;
  size_t stride;        // floats between consecutive positions
  float scale;          // usually 1 / sqrt(head_dim)
  float* scores;        // scratch [n]
  float* out;           // [head_dim]
};

void attend_ref(const AttendArgs& a);
// The best tier (best_isa()).
void attend(const AttendArgs& a);

namespace detail {
void attend_avx2(const AttendArgs& a);
void attend_avx512(const AttendArgs& a);
}  // namespace detail

}  // namespace finefp8::cpu
