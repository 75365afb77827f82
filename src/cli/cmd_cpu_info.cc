// `finefp8 cpu-info`: what the CPU offers and which kernel tier runs.
#include <fmt/format.h>

#include "cli/commands.h"
#include "cpu/cpu_features.h"

namespace finefp8::cli {

Runner add_cpu_info(CLI::App& app) {
  (void)app;
  return [] {
    const cpu::CpuFeatures& f = cpu::cpu_features();
    auto yn = [](bool b) { return b ? "yes" : "no"; };
    fmt::print("avx2 {} fma {} f16c {}\n", yn(f.avx2), yn(f.fma), yn(f.f16c));
    fmt::print("avx512 f {} bw {} dq {} vl {} bf16 {} vbmi {}\n", yn(f.avx512f), yn(f.avx512bw),
               yn(f.avx512dq), yn(f.avx512vl), yn(f.avx512_bf16), yn(f.avx512_vbmi));
    fmt::print("amx tile {} bf16 {} int8 {} (tile data permitted by the OS: {})\n",
               yn(f.amx_tile), yn(f.amx_bf16), yn(f.amx_int8), yn(f.amx_permitted));
    fmt::print("detected tier: {}\n", cpu::isa_name(cpu::detected_isa()));
    fmt::print("kernel tier:   {} (override with FINEFP8_ISA=scalar|avx2|avx512|amx)\n",
               cpu::isa_name(cpu::best_isa()));
    return 0;
  };
}

}  // namespace finefp8::cli
