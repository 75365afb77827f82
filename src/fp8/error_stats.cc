#include "fp8/error_stats.h"

#include <cmath>
#include <limits>

#include "util/error.h"

namespace finefp8 {

ErrorStats error_stats(std::span<const float> ref, std::span<const float> approx) {
  FINEFP8_ASSERT(ref.size() == approx.size());
  double sum_ref2 = 0, sum_err2 = 0, max_abs = 0;
  for (size_t i = 0; i < ref.size(); ++i) {
    const double e = double(approx[i]) - double(ref[i]);
    sum_ref2 += double(ref[i]) * ref[i];
    sum_err2 += e * e;
    max_abs = std::max(max_abs, std::fabs(e));
  }
  return error_stats_from_sums(ref.size(), sum_ref2, sum_err2, max_abs);
}

ErrorStats error_stats_from_sums(size_t count, double sum_ref2, double sum_err2, double max_abs) {
  ErrorStats s;
  s.count = count;
  s.max_abs_error = max_abs;
  if (s.count == 0) return s;
  s.rms_ref = std::sqrt(sum_ref2 / double(s.count));
  s.rms_error = std::sqrt(sum_err2 / double(s.count));
  s.rel_rms = sum_ref2 > 0 ? s.rms_error / s.rms_ref : 0;
  s.snr_db = sum_err2 > 0 ? 10.0 * std::log10(sum_ref2 / sum_err2)
                          : std::numeric_limits<double>::infinity();
  return s;
}

}  // namespace finefp8
