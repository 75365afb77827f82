// Every file of the hostile corpus (tests/fixtures/safetensors_hostile, made by
// tools/fixtures/gen_hostile_safetensors.py) fails with an Error naming the file and the
// rule broken, both through the memory-mapped reader and the header-only reader; the valid
// edge cases open.
#include <gtest/gtest.h>

#include <string>

#include "fixtures.h"
#include "io/safetensors.h"
#include "util/error.h"

namespace finefp8 {
namespace {

const std::string kDir = std::string(FINEFP8_FIXTURES_DIR) + "/safetensors_hostile/";

template <typename Open>
void expect_outcome(const nlohmann::json& c, Open open) {
  const std::string file = c.at("file");
  const std::string path = kDir + file;
  if (c.at("expect").is_null()) {
    EXPECT_NO_THROW(open(path)) << file;
    return;
  }
  const std::string expect = c.at("expect");
  try {
    open(path);
    ADD_FAILURE() << file << ": opened without error, expected '" << expect << "'";
  } catch (const Error& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find(file), std::string::npos) << "message does not name the file: " << msg;
    EXPECT_NE(msg.find(expect), std::string::npos) << file << ": '" << msg << "' lacks '" << expect << "'";
  }
}

TEST(SafetensorsHostile, EveryCorpusFileFailsWithItsRule) {
  const auto& cases = testing::fixture("safetensors_hostile/manifest.json").at("cases");
  ASSERT_GE(cases.size(), 30u);
  for (const auto& c : cases) {
    expect_outcome(c, [](const std::string& p) { (void)SafetensorsFile::open(p); });
    expect_outcome(c, [](const std::string& p) { (void)read_safetensors_header(p); });
  }
}

TEST(SafetensorsHostile, EveryTruncationOfAValidFileIsRejected) {
  const std::string path = kDir + "valid_zero_size_tensor.safetensors";
  const SafetensorsFile f = SafetensorsFile::open(path);
  std::vector<uint8_t> bytes(f.file_size());
  {
    FILE* fp = std::fopen(path.c_str(), "rb");
    ASSERT_NE(fp, nullptr);
    ASSERT_EQ(std::fread(bytes.data(), 1, bytes.size(), fp), bytes.size());
    std::fclose(fp);
  }
  for (size_t len = 0; len < bytes.size(); ++len) {
    EXPECT_THROW(parse_safetensors({bytes.data(), len}, "cut"), Error) << len;
  }
  EXPECT_NO_THROW(parse_safetensors(bytes, "whole"));
}

}  // namespace
}  // namespace finefp8
