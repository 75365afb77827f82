#pragma once
// The bf16 library baseline of the GEMM benchmarks: oneDNN's matmul (bf16 x bf16 -> fp32,
// weights reordered once into the layout oneDNN prefers). Built only where CMake found
// oneDNN (Debian libdnnl-dev); elsewhere available() is false and the benchmark reports its
// own bf16 path as the only baseline.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace finefp8::bench {

class OnednnBf16Matmul {
 public:
  static bool available();
  static std::string version();  // "oneDNN 2.6.3" or ""
  // w: [n, k] bf16 bits (row-major, like a checkpoint); threads: OpenMP threads to use.
  OnednnBf16Matmul(size_t m, size_t n, size_t k, const uint16_t* w, int threads);
  ~OnednnBf16Matmul();
  // y [m, n] fp32 = x [m, k] bf16 bits times w^T.
  void run(const uint16_t* x, float* y);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace finefp8::bench
