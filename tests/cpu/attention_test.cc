// Every attention tier against attend_ref (the specification) on every tier this machine has:
// head dims with and without a vector tail, 1..600 positions, strided KV rows, scores spread
// wide enough that most softmax weights underflow, and a constant-score case.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "cpu/attention.h"
#include "cpu/cpu_features.h"

namespace finefp8::cpu {
namespace {

using AttendFn = void (*)(const AttendArgs&);

struct Tier {
  const char* name;
  Isa isa;
  AttendFn fn;
};

const Tier kTiers[] = {{"avx2", Isa::kAvx2, detail::attend_avx2}, {"avx512", Isa::kAvx512, detail::attend_avx512}};

// Runs ref and `fn` on the same random problem; returns max |diff| / max |ref|.
double compare(AttendFn fn, size_t n, size_t hd, float spread, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> nd(0.0f, 1.0f);
  const size_t stride = hd * 3 + 5;  // other heads' data between positions
  std::vector<float> q(hd), kv(n * stride), vv(n * stride), s1(n), s2(n), o1(hd), o2(hd);
  for (auto& x : q) x = nd(rng) * spread;
  for (auto& x : kv) x = nd(rng);
  for (auto& x : vv) x = nd(rng);
  AttendArgs a{q.data(), kv.data(), vv.data(), n, hd, stride, 1.0f / std::sqrt(float(hd)), s1.data(), o1.data()};
  attend_ref(a);
  a.scores = s2.data();
  a.out = o2.data();
  fn(a);
  double maxd = 0, scale = 1e-30;
  for (size_t d = 0; d < hd; ++d) {
    EXPECT_TRUE(std::isfinite(o2[d]));
    maxd = std::max(maxd, double(std::abs(o1[d] - o2[d])));
    scale = std::max(scale, double(std::abs(o1[d])));
  }
  return maxd / scale;
}

TEST(Attention, TiersMatchReference) {
  int ran = 0;
  for (const Tier& t : kTiers) {
    if (!isa_supported(t.isa)) {
      std::printf("attention tier %s: not supported here, skipped\n", t.name);
      continue;
    }
    ++ran;
    uint32_t seed = 1;
    for (size_t hd : {8, 17, 32, 64, 80, 96, 128, 256}) {
      for (size_t n : {1, 2, 7, 16, 17, 33, 130, 600}) {
        for (float spread : {0.0f, 1.0f, 30.0f}) {
          const double err = compare(t.fn, n, hd, spread, seed++);
          EXPECT_LE(err, 1e-5) << t.name << " hd " << hd << " n " << n << " spread " << spread;
        }
      }
    }
  }
  std::printf("attention: %d SIMD tier(s) checked against the reference\n", ran);
}

TEST(Attention, DispatchedTierMatchesReference) {
  EXPECT_LE(compare(attend, 300, 64, 1.0f, 99), 1e-5);
}

}  // namespace
}  // namespace finefp8::cpu
