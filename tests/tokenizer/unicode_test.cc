// UTF-8 repair (the defined behaviour for invalid input) and the byte-level alphabet.
#include <gtest/gtest.h>

#include "tokenizer/byte_level.h"
#include "tokenizer/unicode.h"

namespace finefp8::tok {
namespace {

const std::string kR = "\xEF\xBF\xBD";  // U+FFFD

TEST(TokenizerUnicode, SanitizeReplacesMaximalSubparts) {
  // Expected values are Python's bytes.decode("utf-8", errors="replace").
  EXPECT_EQ(sanitize_utf8("abc"), "abc");
  EXPECT_EQ(sanitize_utf8(std::string("a\0b", 3)), std::string("a\0b", 3));
  EXPECT_EQ(sanitize_utf8("\xFF"), kR);
  EXPECT_EQ(sanitize_utf8("\xF0\x9F\x98"), kR);                // truncated 4-byte: one
  EXPECT_EQ(sanitize_utf8("\xF0\x9F\x98x"), kR + "x");
  EXPECT_EQ(sanitize_utf8("\xE0\x80"), kR + kR);               // E0 needs A0..BF
  EXPECT_EQ(sanitize_utf8("\xED\xA0\x80"), kR + kR + kR);      // surrogate
  EXPECT_EQ(sanitize_utf8("\xC0\xAF"), kR + kR);               // overlong
  EXPECT_EQ(sanitize_utf8("\xF4\x90\x80\x80"), kR + kR + kR + kR);  // > U+10FFFF
  EXPECT_EQ(sanitize_utf8("\x80\x80"), kR + kR);
  EXPECT_EQ(sanitize_utf8("\xE2\x82"), kR);
  EXPECT_EQ(sanitize_utf8("\xE2\x82\xAC"), "\xE2\x82\xAC");
  EXPECT_EQ(sanitize_utf8("\xF0\x9F\x98\x80"), "\xF0\x9F\x98\x80");
}

TEST(TokenizerUnicode, IncompleteTail) {
  EXPECT_EQ(incomplete_utf8_tail("ab"), 0u);
  EXPECT_EQ(incomplete_utf8_tail("a\xF0"), 1u);
  EXPECT_EQ(incomplete_utf8_tail("a\xF0\x9F"), 2u);
  EXPECT_EQ(incomplete_utf8_tail("a\xF0\x9F\x98"), 3u);
  EXPECT_EQ(incomplete_utf8_tail("a\xF0\x9F\x98\x80"), 0u);
  EXPECT_EQ(incomplete_utf8_tail("a\xE0\x80"), 0u);  // can never become valid
  EXPECT_EQ(incomplete_utf8_tail("\xFF"), 0u);
}

TEST(TokenizerUnicode, ByteLevelAlphabetIsABijection) {
  for (int b = 0; b < 256; ++b) {
    const auto cp = byte_to_code_point(static_cast<uint8_t>(b));
    ASSERT_EQ(code_point_to_byte(cp), static_cast<uint8_t>(b));
  }
  EXPECT_EQ(byte_to_code_point(' '), 0x120u);   // 'Ġ'
  EXPECT_EQ(byte_to_code_point('\n'), 0x10Au);  // 'Ċ'
  EXPECT_EQ(byte_to_code_point('A'), uint32_t{'A'});
  EXPECT_EQ(bytes_to_byte_level(" hi"), "\xC4\xA0hi");
  EXPECT_EQ(byte_level_to_bytes("\xC4\xA0hi"), " hi");
  EXPECT_FALSE(byte_level_to_bytes("a b").has_value());  // ' ' is not in the alphabet
}

TEST(TokenizerUnicode, NormalizeAndLowercase) {
  EXPECT_EQ(normalize_unicode("e\xCC\x81", NormalForm::kNFC), "\xC3\xA9");
  EXPECT_EQ(normalize_unicode("\xC3\xA9", NormalForm::kNFD), "e\xCC\x81");
  EXPECT_EQ(normalize_unicode("\xEF\xAC\x81", NormalForm::kNFKC), "fi");
  EXPECT_EQ(normalize_unicode(std::string("a\0b", 3), NormalForm::kNFC), std::string("a\0b", 3));
  EXPECT_EQ(lowercase("ABC \xC3\x89 \xC4\xB0"), "abc \xC3\xA9 i\xCC\x87");
}

}  // namespace
}  // namespace finefp8::tok
