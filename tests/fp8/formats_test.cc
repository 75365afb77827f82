// FP8 format decode (all 256 codes of each format against ml_dtypes), the examples of
// docs/fp8-format.md, the 16-bit float helpers, and the UE8M0 ceil rounding.
#include "fp8/formats.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>

#include "fixtures.h"

namespace finefp8 {
namespace {

using testing::fixture;

void expect_decode_matches(const char* name, float (*decode)(uint8_t)) {
  const auto& bits = fixture("fp8_casts.json").at("decode_f32_bits").at(name);
  ASSERT_EQ(bits.size(), 256u);
  for (int code = 0; code < 256; ++code) {
    const float want = std::bit_cast<float>(bits[code].get<uint32_t>());
    const float got = decode(uint8_t(code));
    if (std::isnan(want)) {
      EXPECT_TRUE(std::isnan(got)) << name << " code " << code;
    } else {
      EXPECT_EQ(std::bit_cast<uint32_t>(got), std::bit_cast<uint32_t>(want))
          << name << " code " << code << ": got " << got << " want " << want;
    }
  }
}

TEST(Formats, E4M3DecodesAll256CodesLikeMlDtypes) { expect_decode_matches("e4m3", e4m3_to_f32); }
TEST(Formats, E5M2DecodesAll256CodesLikeMlDtypes) { expect_decode_matches("e5m2", e5m2_to_f32); }
TEST(Formats, UE8M0DecodesAll256CodesLikeMlDtypes) { expect_decode_matches("ue8m0", ue8m0_to_f32); }

TEST(Formats, E4M3ExamplesFromFormatNotes) {
  EXPECT_EQ(e4m3_from_f32(1.0625f), 0x38);
  EXPECT_EQ(e4m3_from_f32(1.1875f), 0x3A);
  EXPECT_EQ(e4m3_from_f32(0x1p-10f), 0x00);
  EXPECT_EQ(e4m3_from_f32(3 * 0x1p-10f), 0x02);
  EXPECT_EQ(e4m3_from_f32(448.0f), 0x7E);
  EXPECT_EQ(e4m3_from_f32(464.0f), 0x7E);
  EXPECT_EQ(e4m3_from_f32(1e30f), 0x7E);
  EXPECT_EQ(e4m3_from_f32(-INFINITY), 0xFE);
  EXPECT_EQ(e4m3_from_f32_nonsat(464.0f), 0x7E);
  EXPECT_EQ(e4m3_from_f32_nonsat(std::nextafter(464.0f, 500.0f)), 0x7F);
  EXPECT_EQ(e4m3_from_f32_nonsat(INFINITY), 0x7F);
  EXPECT_EQ(e4m3_to_f32(0x01), 0x1p-9f);
  EXPECT_EQ(e4m3_to_f32(0x08), 0x1p-6f);
  EXPECT_EQ(e4m3_to_f32(0x7E), 448.0f);
  EXPECT_TRUE(std::isnan(e4m3_to_f32(0xFF)));
}

TEST(Formats, E4M3EncodeOfEveryCodeValueIsItself) {
  for (int code = 0; code < 256; ++code) {
    if ((code & 0x7F) == 0x7F) continue;
    EXPECT_EQ(e4m3_from_f32(e4m3_to_f32(uint8_t(code))), code);
  }
}

TEST(Formats, UE8M0CeilIsSmallestPowerOfTwoAtLeastX) {
  for (int b = 0; b < 255; ++b) {
    const float p = ue8m0_to_f32(uint8_t(b));
    EXPECT_EQ(ue8m0_from_f32_ceil(p), b) << b;
    if (b < 254) {
      EXPECT_EQ(ue8m0_from_f32_ceil(std::nextafter(p, INFINITY)), b + 1) << b;
    }
    if (b > 0) {
      EXPECT_EQ(ue8m0_from_f32_ceil(std::nextafter(p, 0.0f)), b) << b;
    }
  }
  EXPECT_EQ(ue8m0_from_f32_ceil(0.0f), 0);
  EXPECT_EQ(ue8m0_from_f32_ceil(-1.0f), 0xFF);
  EXPECT_EQ(ue8m0_from_f32_ceil(NAN), 0xFF);
  EXPECT_EQ(ue8m0_from_f32_ceil(0x1.000002p127f), 0xFF);
}

TEST(Float16, Bf16RoundTripsEveryValueAndRoundsHalfToEven) {
  for (uint32_t b = 0; b < 65536; ++b) {
    const float f = bf16_to_f32(bf16{uint16_t(b)});
    if (std::isnan(f)) {
      EXPECT_TRUE(std::isnan(bf16_to_f32(bf16_from_f32(f))));
      continue;
    }
    EXPECT_EQ(bf16_from_f32(f).bits, b);
  }
  EXPECT_EQ(bf16_from_f32(std::bit_cast<float>(0x3F808000u)).bits, 0x3F80);  // tie -> even
  EXPECT_EQ(bf16_from_f32(std::bit_cast<float>(0x3F818000u)).bits, 0x3F82);  // tie -> even
  EXPECT_EQ(bf16_from_f32(std::bit_cast<float>(0x3F808001u)).bits, 0x3F81);
  EXPECT_EQ(bf16_from_f32(3.4e38f).bits, 0x7F80);  // overflow -> inf
}

TEST(Float16, Fp16RoundTripsEveryValueAndRoundsHalfToEven) {
  for (uint32_t b = 0; b < 65536; ++b) {
    const float f = fp16_to_f32(fp16{uint16_t(b)});
    if (std::isnan(f)) continue;
    EXPECT_EQ(fp16_from_f32(f).bits, b) << std::hex << b;
  }
  EXPECT_EQ(fp16_from_f32(65504.0f).bits, 0x7BFF);
  EXPECT_EQ(fp16_from_f32(65519.99f).bits, 0x7BFF);
  EXPECT_EQ(fp16_from_f32(65520.0f).bits, 0x7C00);
  EXPECT_EQ(fp16_from_f32(0x1p-25f).bits, 0x0000);         // tie with 0 -> even (0)
  EXPECT_EQ(fp16_from_f32(0x1.8p-24f).bits, 0x0002);       // tie 1.5 ulp -> 2
  EXPECT_EQ(fp16_from_f32(1.0f + 0x1p-11f).bits, 0x3C00);  // tie -> even
  EXPECT_TRUE(std::isnan(fp16_to_f32(fp16_from_f32(NAN))));
}

}  // namespace
}  // namespace finefp8
