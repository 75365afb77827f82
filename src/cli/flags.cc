#include "cli/flags.h"

#include <charconv>

#include "util/error.h"

namespace finefp8::cli {
namespace {
int parse_side(const std::string& whole, std::string_view part) {
  int v = 0;
  const auto [end, ec] = std::from_chars(part.data(), part.data() + part.size(), v);
  if (ec != std::errc() || end != part.data() + part.size() || v < 1 || v > 65536) {
    fail("block size '{}' is not ROWSxCOLS with sides from 1 to 65536 (e.g. 128x128)", whole);
  }
  return v;
}
}  // namespace

BlockShape parse_block_shape(const std::string& text) {
  const size_t x = text.find('x');
  if (x == std::string::npos) {
    const int side = parse_side(text, text);
    return {side, side};
  }
  return {parse_side(text, std::string_view(text).substr(0, x)),
          parse_side(text, std::string_view(text).substr(x + 1))};
}

}  // namespace finefp8::cli
