#pragma once
// Which x86-64 instruction-set tier this process may use, detected once at run time.
// Kernels compiled for a tier live in files named *_<tier>.cc, built with that tier's flags
// only (CMake finefp8_isa_sources), and are reached through dispatch on best_isa().
#include <string_view>

namespace finefp8::cpu {

enum class Isa {
  kScalar = 0,  // the reference: plain C++, x86-64-v2 baseline
  kAvx2 = 1,    // x86-64-v3: AVX2 + FMA + F16C
  kAvx512 = 2,  // AVX-512 F/BW/DQ/VL
  kAmx = 3,     // AVX-512 + AMX-TILE/AMX-BF16, tile data permission granted by the kernel
};

std::string_view isa_name(Isa isa);

struct CpuFeatures {
  bool avx2 = false, fma = false, f16c = false;
  bool avx512f = false, avx512bw = false, avx512dq = false, avx512vl = false;
  bool avx512_bf16 = false, avx512_vbmi = false;
  bool amx_tile = false, amx_bf16 = false, amx_int8 = false;
  bool os_avx = false, os_avx512 = false;  // XCR0 enables the register state
  bool amx_permitted = false;              // arch_prctl(ARCH_REQ_XCOMP_PERM) succeeded
};

// Detected once (thread-safe); AMX permission is requested on first call.
const CpuFeatures& cpu_features();

// The highest tier the hardware and OS support.
Isa detected_isa();

// The tier kernels use: detected_isa(), or the tier the environment variable FINEFP8_ISA names
// (scalar | avx2 | avx512 | amx) for testing and benchmarking. Asking for a tier the
// machine lacks throws finefp8::Error naming what is missing.
Isa best_isa();

// True if `isa` can run here (<= detected_isa()).
bool isa_supported(Isa isa);

}  // namespace finefp8::cpu
