#include "cpu/cpu_features.h"

#include <cpuid.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <string>

#include "util/error.h"

namespace finefp8::cpu {
namespace {

constexpr int kArchReqXcompPerm = 0x1023;  // linux/arch/x86/include/uapi/asm/prctl.h
constexpr int kXfeatureXtileData = 18;

bool bit(uint32_t reg, int b) { return (reg >> b) & 1u; }

uint64_t read_xcr0() {
  uint32_t lo, hi;
  __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  return (uint64_t(hi) << 32) | lo;
}

CpuFeatures detect() {
  CpuFeatures f;
  uint32_t a, b, c, d;
  if (!__get_cpuid(1, &a, &b, &c, &d)) return f;
  const bool osxsave = bit(c, 27);
  f.fma = bit(c, 12);
  f.f16c = bit(c, 29);
  const uint64_t xcr0 = osxsave ? read_xcr0() : 0;
  f.os_avx = bit(c, 28) && (xcr0 & 0x6) == 0x6;
  f.os_avx512 = f.os_avx && (xcr0 & 0xE0) == 0xE0;
  if (__get_cpuid_max(0, nullptr) < 7) return f;
  __cpuid_count(7, 0, a, b, c, d);
  f.avx2 = f.os_avx && bit(b, 5);
  f.avx512f = f.os_avx512 && bit(b, 16);
  f.avx512dq = f.os_avx512 && bit(b, 17);
  f.avx512bw = f.os_avx512 && bit(b, 30);
  f.avx512vl = f.os_avx512 && bit(b, 31);
  f.avx512_vbmi = f.os_avx512 && bit(c, 1);
  f.amx_bf16 = bit(d, 22);
  f.amx_tile = bit(d, 24);
  f.amx_int8 = bit(d, 25);
  uint32_t a1, b1, c1, d1;
  __cpuid_count(7, 1, a1, b1, c1, d1);
  f.avx512_bf16 = f.os_avx512 && bit(a1, 5);
  if (f.amx_tile) {
    // Linux keeps AMX tile data disabled until the process asks for it.
    f.amx_permitted = syscall(SYS_arch_prctl, kArchReqXcompPerm, kXfeatureXtileData) == 0;
  }
  return f;
}

Isa parse_isa(std::string_view name) {
  for (Isa isa : {Isa::kScalar, Isa::kAvx2, Isa::kAvx512, Isa::kAmx}) {
    if (name == isa_name(isa)) return isa;
  }
  fail("FINEFP8_ISA='{}' is not a known instruction-set tier; use scalar, avx2, avx512 or amx",
       name);
}

}  // namespace

std::string_view isa_name(Isa isa) {
  switch (isa) {
    case Isa::kScalar: return "scalar";
    case Isa::kAvx2: return "avx2";
    case Isa::kAvx512: return "avx512";
    case Isa::kAmx: return "amx";
  }
  return "?";
}

const CpuFeatures& cpu_features() {
  static const CpuFeatures features = detect();
  return features;
}

Isa detected_isa() {
  const CpuFeatures& f = cpu_features();
  const bool avx2 = f.avx2 && f.fma && f.f16c;
  const bool avx512 = avx2 && f.avx512f && f.avx512bw && f.avx512dq && f.avx512vl;
  const bool amx = avx512 && f.amx_tile && f.amx_bf16 && f.amx_permitted;
  return amx ? Isa::kAmx : avx512 ? Isa::kAvx512 : avx2 ? Isa::kAvx2 : Isa::kScalar;
}

bool isa_supported(Isa isa) { return int(isa) <= int(detected_isa()); }

Isa best_isa() {
  static const Isa chosen = [] {
    const char* env = std::getenv("FINEFP8_ISA");
    if (env == nullptr || *env == '\0') return detected_isa();
    const Isa wanted = parse_isa(env);
    if (!isa_supported(wanted)) {
      fail("FINEFP8_ISA={} asks for an instruction set this CPU or OS lacks (best available: "
           "{})", env, isa_name(detected_isa()));
    }
    return wanted;
  }();
  return chosen;
}

}  // namespace finefp8::cpu
