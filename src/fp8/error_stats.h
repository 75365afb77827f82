#pragma once
// Quantization error statistics of an approximation `approx` of `ref` (same length).
#include <cstddef>
#include <span>

namespace finefp8 {

struct ErrorStats {
  size_t count = 0;
  double rms_ref = 0;       // sqrt(mean(ref^2))
  double rms_error = 0;     // sqrt(mean((approx - ref)^2))
  double rel_rms = 0;       // rms_error / rms_ref (0 when ref is all zero)
  double max_abs_error = 0;
  double snr_db = 0;        // 10 log10(sum ref^2 / sum err^2); +inf when exact
};

ErrorStats error_stats(std::span<const float> ref, std::span<const float> approx);

// The same from accumulated sums: sum ref^2, sum (approx - ref)^2, max |approx - ref|.
ErrorStats error_stats_from_sums(size_t count, double sum_ref2, double sum_err2, double max_abs);

}  // namespace finefp8
