#pragma once
// UTF-8 and Unicode helpers of the tokenizer. Input text is made well-formed once, at the
// entry of Tokenizer::encode (sanitize_utf8); everything after that may assume valid UTF-8.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace finefp8::tok {

// Byte length of the UTF-8 sequence a lead byte starts (1 for a stray continuation byte).
inline size_t utf8_seq_len(unsigned char lead) {
  return lead < 0x80 ? 1 : lead < 0xE0 ? (lead < 0xC0 ? 1 : 2) : lead < 0xF0 ? 3 : 4;
}

// Decodes the code point at s[i] of VALID UTF-8 and advances i past it.
inline uint32_t next_code_point(std::string_view s, size_t& i) {
  const auto b = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = b(i);
  if (c < 0x80) { ++i; return c; }
  if (c < 0xE0) { uint32_t cp = ((c & 0x1Fu) << 6) | (b(i + 1) & 0x3Fu); i += 2; return cp; }
  if (c < 0xF0) {
    uint32_t cp = ((c & 0x0Fu) << 12) | ((b(i + 1) & 0x3Fu) << 6) | (b(i + 2) & 0x3Fu);
    i += 3;
    return cp;
  }
  uint32_t cp = ((c & 0x07u) << 18) | ((b(i + 1) & 0x3Fu) << 12) | ((b(i + 2) & 0x3Fu) << 6) |
                (b(i + 3) & 0x3Fu);
  i += 4;
  return cp;
}

void append_utf8(std::string& out, uint32_t cp);

// Length of the longest well-formed prefix of s.
size_t valid_utf8_prefix(std::string_view s);

// s with every ill-formed sequence replaced by U+FFFD, one per maximal subpart (the Unicode
// "substitution of maximal subparts" practice: Python's bytes.decode("utf-8", "replace") and
// Rust's String::from_utf8_lossy give the same result).
std::string sanitize_utf8(std::string_view s);

// Number of trailing bytes of s that start a UTF-8 sequence which is not complete yet but
// could still become valid (0..3).
size_t incomplete_utf8_tail(std::string_view s);

// Unicode White_Space (Rust char::is_whitespace, Oniguruma \s).
bool is_white_space(uint32_t cp);
// Letters or numbers (general category L* or N*).
bool is_alphanumeric(uint32_t cp);

enum class NormalForm { kNFC, kNFD, kNFKC, kNFKD };
// Unicode normalization (utf8proc) of valid UTF-8. Pure ASCII is returned unchanged.
std::string normalize_unicode(std::string_view s, NormalForm form);
// Lowercase per code point as Rust char::to_lowercase (U+0130 -> "i\u0307"; no final-sigma rule).
std::string lowercase(std::string_view s);

}  // namespace finefp8::tok
