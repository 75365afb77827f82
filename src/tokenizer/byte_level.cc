#include "tokenizer/byte_level.h"

#include "tokenizer/unicode.h"

namespace finefp8::tok {
namespace {

struct Tables {
  std::array<uint32_t, 256> to_cp{};
  std::array<std::array<char, 3>, 256> utf8{};  // UTF-8 of to_cp; [2] = length
  std::array<int16_t, 324> from_cp{};            // code point (< 324) -> byte, or -1
  Tables() {
    from_cp.fill(-1);
    uint32_t extra = 0;
    for (uint32_t b = 0; b < 256; ++b) {
      const bool shown = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE);
      to_cp[b] = shown ? b : 256 + extra++;
      from_cp[to_cp[b]] = static_cast<int16_t>(b);
      std::string s;
      append_utf8(s, to_cp[b]);
      utf8[b][0] = s[0];
      utf8[b][1] = s.size() > 1 ? s[1] : 0;
      utf8[b][2] = static_cast<char>(s.size());
    }
  }
};

const Tables& tables() {
  static const Tables t;
  return t;
}

}  // namespace

uint32_t byte_to_code_point(uint8_t b) { return tables().to_cp[b]; }

std::optional<uint8_t> code_point_to_byte(uint32_t cp) {
  if (cp >= tables().from_cp.size() || tables().from_cp[cp] < 0) return std::nullopt;
  return static_cast<uint8_t>(tables().from_cp[cp]);
}

void append_byte_level(std::string& out, std::string_view raw) {
  const Tables& t = tables();
  for (char c : raw) {
    const auto& u = t.utf8[static_cast<uint8_t>(c)];
    out.append(u.data(), static_cast<size_t>(u[2]));
  }
}

std::string bytes_to_byte_level(std::string_view raw) {
  std::string out;
  out.reserve(raw.size() * 2);
  append_byte_level(out, raw);
  return out;
}

std::optional<std::string> byte_level_to_bytes(std::string_view token) {
  std::string out;
  out.reserve(token.size());
  size_t i = 0;
  while (i < token.size()) {
    const auto b = code_point_to_byte(next_code_point(token, i));
    if (!b) return std::nullopt;
    out += static_cast<char>(*b);
  }
  return out;
}

}  // namespace finefp8::tok
