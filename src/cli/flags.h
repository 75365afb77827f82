#pragma once
// Parsers for flag values shared by several subcommands. Throw finefp8::Error on bad input.
#include <cstdint>
#include <string>

#include "fp8/block_quant.h"

namespace finefp8::cli {

// "128x128" -> {128, 128}; also accepts "128". Both sides in [1, 65536].
BlockShape parse_block_shape(const std::string& text);

// "5GB" -> 5e9, "500MB", "2GiB", "1048576" (bytes). Positive.
uint64_t parse_byte_size(const std::string& text);

}  // namespace finefp8::cli
