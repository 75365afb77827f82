// Built where oneDNN is absent: no library baseline.
#include "bench/onednn_matmul.h"

#include "util/error.h"

namespace finefp8::bench {

struct OnednnBf16Matmul::Impl {};

bool OnednnBf16Matmul::available() { return false; }
std::string OnednnBf16Matmul::version() { return ""; }
OnednnBf16Matmul::OnednnBf16Matmul(size_t, size_t, size_t, const uint16_t*, int) {
  fail("this build has no oneDNN baseline (install libdnnl-dev and reconfigure)");
}
OnednnBf16Matmul::~OnednnBf16Matmul() = default;
void OnednnBf16Matmul::run(const uint16_t*, float*) {}

}  // namespace finefp8::bench
