// libFuzzer target: the safetensors header and metadata parser. Any input must either parse
// or throw finefp8::Error; a crash, a sanitizer report or another exception is a bug.
#include <cstddef>
#include <cstdint>
#include <span>

#include "io/safetensors.h"
#include "util/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::span<const uint8_t> file(data, size);
  try {
    const finefp8::SafetensorsHeader h = finefp8::parse_safetensors(file, "fuzz");
    // Touch every view the way readers do: offsets must lie inside the file.
    for (const finefp8::TensorInfo& t : h.tensors) {
      if (h.data_offset() + t.end > size) __builtin_trap();
      (void)t.elements();
    }
  } catch (const finefp8::Error&) {
  }
  // The header-only path with a file size claimed larger than the bytes at hand.
  try {
    (void)finefp8::parse_safetensors_header(file, size + 4096, "fuzz");
  } catch (const finefp8::Error&) {
  }
  return 0;
}
