// Register-only AMX-BF16 loop: tdpbf16ps on resident tiles (built with
// -march=sapphirerapids; reached through dispatch). Not run on the development machine.
#include <immintrin.h>

#include <cstdint>
#include <cstring>

#include "bench/peak_probe.h"

namespace finefp8::bench {

double peak_loop_amx(size_t iters) {
  struct alignas(64) {
    uint8_t palette = 1, start_row = 0, reserved[14] = {};
    uint16_t colsb[16] = {};
    uint8_t rows[16] = {};
  } cfg;
  for (int i = 0; i < 8; ++i) {
    cfg.rows[i] = 16;
    cfg.colsb[i] = 64;
  }
  _tile_loadconfig(&cfg);
  alignas(64) uint16_t src[16 * 32];
  for (auto& v : src) v = 0x3F80;
  _tile_loadd(4, src, 64);
  _tile_loadd(5, src, 64);
  _tile_loadd(6, src, 64);
  _tile_loadd(7, src, 64);
  _tile_zero(0);
  _tile_zero(1);
  _tile_zero(2);
  _tile_zero(3);
  for (size_t it = 0; it < iters; ++it) {
    _tile_dpbf16ps(0, 4, 6);
    _tile_dpbf16ps(1, 4, 7);
    _tile_dpbf16ps(2, 5, 6);
    _tile_dpbf16ps(3, 5, 7);
  }
  alignas(64) float out[16 * 16];
  _tile_stored(0, out, 64);
  _tile_release();
  volatile float sink = out[0];
  (void)sink;
  return double(iters) * 4 * 16 * 16 * 32 * 2;
}

}  // namespace finefp8::bench
