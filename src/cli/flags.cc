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

uint64_t parse_byte_size(const std::string& text) {
  static const std::pair<const char*, uint64_t> kUnits[] = {
      {"KiB", 1ull << 10}, {"MiB", 1ull << 20}, {"GiB", 1ull << 30}, {"TiB", 1ull << 40},
      {"KB", 1000ull}, {"MB", 1000000ull}, {"GB", 1000000000ull}, {"TB", 1000000000000ull},
      {"B", 1ull}};
  std::string_view number = text;
  uint64_t unit = 1;
  for (const auto& [suffix, mult] : kUnits) {
    const std::string_view s(suffix);
    if (number.size() > s.size() && number.substr(number.size() - s.size()) == s) {
      number.remove_suffix(s.size());
      unit = mult;
      break;
    }
  }
  double v = 0;
  const auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), v);
  if (ec != std::errc() || end != number.data() + number.size() || !(v > 0) || v * double(unit) > 1e18) {
    fail("size '{}' is not a positive size like 5GB, 500MB, 2GiB or a byte count", text);
  }
  return uint64_t(v * double(unit));
}

}  // namespace finefp8::cli
