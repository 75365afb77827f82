// Every fp32 bit pattern (2^32) and every bf16 / fp16 pattern encodes exactly as the oracle
// ml_dtypes does. The oracle's outputs are committed run-length encoded
// (tests/fixtures/fp8_casts.json, tools/fixtures/gen_cast_tables.py); this test expands the
// runs and checks each input. Sanitized builds (FINEFP8_EXHAUSTIVE_SAMPLED) check every
// run boundary +-4 and every 65537th input instead.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <bit>
#include <cstdint>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "fixtures.h"
#include "fp8/formats.h"

namespace finefp8 {
namespace {

struct Run {
  uint64_t start;
  uint8_t code;
};

std::vector<Run> load_runs(const std::string& name, uint64_t domain) {
  const auto& runs = testing::fixture("fp8_casts.json").at("encode").at(name).at("runs");
  std::vector<Run> out;
  for (const auto& r : runs) out.push_back({r.at(0).get<uint64_t>(), r.at(1).get<uint8_t>()});
  EXPECT_FALSE(out.empty());
  EXPECT_EQ(out.front().start, 0u);
  EXPECT_LT(out.back().start, domain);
  return out;
}

// Checks that f (input bit pattern -> code) gives `code` on [lo, hi); returns the number of
// mismatches and records the first.
template <typename F>
uint64_t check_range(const F& f, uint64_t lo, uint64_t hi, uint8_t code,
                     std::atomic<uint64_t>& first_bad) {
  uint64_t bad = 0;
  for (uint64_t x = lo; x < hi; ++x) {
    if (f(uint32_t(x)) != code) {
      ++bad;
      uint64_t cur = first_bad.load();
      while (x < cur && !first_bad.compare_exchange_weak(cur, x)) {
      }
    }
  }
  return bad;
}

template <typename F>
void expect_table(const std::string& name, uint64_t domain, const F& f) {
  const std::vector<Run> runs = load_runs(name, domain);
  std::atomic<uint64_t> first_bad{UINT64_MAX};
  std::atomic<uint64_t> bad{0};
  auto run_end = [&](size_t i) { return i + 1 < runs.size() ? runs[i + 1].start : domain; };
#if FINEFP8_EXHAUSTIVE_SAMPLED
  const bool sampled = domain > (1u << 16);
#else
  const bool sampled = false;
#endif
  if (sampled) {
    for (size_t i = 0; i < runs.size(); ++i) {
      const uint64_t lo = runs[i].start, hi = run_end(i);
      bad += check_range(f, lo, std::min(hi, lo + 4), runs[i].code, first_bad);
      bad += check_range(f, hi - std::min<uint64_t>(4, hi - lo), hi, runs[i].code, first_bad);
      for (uint64_t x = lo + (65537 - lo % 65537) % 65537; x < hi; x += 65537) {
        bad += check_range(f, x, x + 1, runs[i].code, first_bad);
      }
    }
  } else {
    // Split the domain into slices across threads; each slice walks the runs it overlaps.
    const unsigned threads = std::max(1u, std::min(8u, std::thread::hardware_concurrency()));
    std::vector<std::thread> pool;
    for (unsigned t = 0; t < threads; ++t) {
      pool.emplace_back([&, t] {
        const uint64_t lo = domain * t / threads, hi = domain * (t + 1) / threads;
        for (size_t i = 0; i < runs.size(); ++i) {
          const uint64_t a = std::max(lo, runs[i].start), b = std::min(hi, run_end(i));
          if (a < b) bad += check_range(f, a, b, runs[i].code, first_bad);
        }
      });
    }
    for (auto& th : pool) th.join();
  }
  if (bad != 0) {
    const uint64_t x = first_bad.load();
    FAIL() << name << ": " << bad << " inputs differ from ml_dtypes; first: input bits 0x"
           << std::hex << x << " gives 0x" << int(f(uint32_t(x)));
  }
}

float f32(uint32_t bits) { return std::bit_cast<float>(bits); }
float from_bf16(uint32_t bits) { return bf16_to_f32(bf16{uint16_t(bits)}); }
float from_f16(uint32_t bits) { return fp16_to_f32(fp16{uint16_t(bits)}); }
constexpr uint64_t k32 = uint64_t(1) << 32;

TEST(FormatsExhaustive, E4M3FromEveryF32) {
  expect_table("e4m3_from_f32", k32, [](uint32_t b) { return e4m3_from_f32(f32(b)); });
}
TEST(FormatsExhaustive, E4M3NonSaturatingFromEveryF32) {
  expect_table("e4m3_from_f32_nonsat", k32,
               [](uint32_t b) { return e4m3_from_f32_nonsat(f32(b)); });
}
TEST(FormatsExhaustive, E5M2FromEveryF32) {
  expect_table("e5m2_from_f32", k32, [](uint32_t b) { return e5m2_from_f32(f32(b)); });
}
TEST(FormatsExhaustive, E5M2SaturatingFromEveryF32) {
  expect_table("e5m2_from_f32_sat", k32, [](uint32_t b) { return e5m2_from_f32_sat(f32(b)); });
}
TEST(FormatsExhaustive, UE8M0FromEveryF32) {
  expect_table("ue8m0_from_f32", k32, [](uint32_t b) { return ue8m0_from_f32(f32(b)); });
}
TEST(FormatsExhaustive, FromEveryBf16AndFp16) {
  expect_table("e4m3_from_bf16", 65536, [](uint32_t b) { return e4m3_from_bf16(bf16{uint16_t(b)}); });
  expect_table("e4m3_from_f16", 65536, [](uint32_t b) { return e4m3_from_fp16(fp16{uint16_t(b)}); });
  expect_table("e4m3_nonsat_from_bf16", 65536,
               [](uint32_t b) { return e4m3_from_f32_nonsat(from_bf16(b)); });
  expect_table("e4m3_nonsat_from_f16", 65536,
               [](uint32_t b) { return e4m3_from_f32_nonsat(from_f16(b)); });
  expect_table("e5m2_from_bf16", 65536, [](uint32_t b) { return e5m2_from_f32(from_bf16(b)); });
  expect_table("e5m2_from_f16", 65536, [](uint32_t b) { return e5m2_from_f32(from_f16(b)); });
}

}  // namespace
}  // namespace finefp8
