#pragma once
// C++ twin of tools/fixtures/golden_inputs.py: the seeded formula that defines the inputs of
// the golden quantization cases. Must produce the same fp32 bits as the Python version.
#include <bit>
#include <cstdint>
#include <vector>

#include <nlohmann/json.hpp>

namespace finefp8::testing {

inline uint64_t splitmix64(uint64_t x) {
  uint64_t z = x + 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

struct GoldenInputSpec {
  size_t rows = 0, cols = 0;
  uint64_t seed = 0;
  int exp_lo = 0, exp_hi = 0, mant_bits = 23;
  bool zero_blocks = false;
  bool has_pin = false;
  float pin = 0;
  int block_rows = 128, block_cols = 128;

  static GoldenInputSpec from_json(const nlohmann::json& j) {
    GoldenInputSpec s;
    s.rows = j.at("rows");
    s.cols = j.at("cols");
    s.seed = j.at("seed");
    s.exp_lo = j.at("exp_lo");
    s.exp_hi = j.at("exp_hi");
    s.mant_bits = j.value("mant_bits", 23);
    s.zero_blocks = j.value("zero_blocks", false);
    if (j.contains("pin") && !j.at("pin").is_null()) {
      s.has_pin = true;
      s.pin = j.at("pin");
    }
    s.block_rows = j.at("block").at(0);
    s.block_cols = j.at("block").at(1);
    return s;
  }
};

inline std::vector<float> make_golden_input(const GoldenInputSpec& s) {
  std::vector<float> x(s.rows * s.cols);
  const uint32_t keep = (0x7FFFFFu >> (23 - s.mant_bits)) << (23 - s.mant_bits);
  const uint64_t span = uint64_t(s.exp_hi - s.exp_lo + 1);
  for (size_t i = 0; i < x.size(); ++i) {
    const uint64_t z = splitmix64((s.seed << 40) ^ i);
    const uint32_t sign = uint32_t(z >> 63);
    const int64_t e = s.exp_lo + int64_t(((z >> 32) & 0xFFFF) % span);
    const uint32_t field = uint32_t(e + 127 > 0 ? e + 127 : 0);
    const uint32_t mant = uint32_t(z & 0x7FFFFF) & keep;
    x[i] = std::bit_cast<float>((sign << 31) | (field << 23) | mant);
    const size_t r = i / s.cols, c = i % s.cols;
    if (s.zero_blocks && (r / s.block_rows + c / s.block_cols) % 3 == 0) x[i] = 0.0f;
    if (s.has_pin && r % s.block_rows == 0 && c % s.block_cols == 0) x[i] = s.pin;
  }
  return x;
}

}  // namespace finefp8::testing
