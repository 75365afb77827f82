// Every file of the hostile GGUF corpus (tests/fixtures/gguf_hostile, made by
// tools/fixtures/gen_hostile_gguf.py) fails with an Error naming the file and the rule
// broken, at whatever stage catches it (reading, dequantizing, planning the Hugging Face
// layout, building the tokenizer); the valid models pass every stage. No truncation of a
// valid file opens.
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "fixtures.h"
#include "gguf/gguf_file.h"
#include "gguf/gguf_to_hf.h"
#include "gguf/gguf_tokenizer.h"
#include "util/error.h"

namespace finefp8 {
namespace {

const std::string kDir = std::string(FINEFP8_FIXTURES_DIR) + "/gguf_hostile/";

// Everything `finefp8 convert` does before writing.
void read_everything(const GgufFile& f) {
  for (const GgufTensorInfo& t : f.tensors()) {
    std::vector<float> out(t.elements);
    f.dequantize_rows(t, 0, t.elements / t.ne[0], out);
  }
  const HfModelPlan plan = plan_gguf_to_hf(f);
  for (const HfTensorPlan& p : plan.tensors) {
    std::vector<float> out(p.src->elements);
    dequantize_hf_tensor(f, p, out, 2);
  }
  (void)build_hf_tokenizer(f);
}

std::vector<uint8_t> read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

TEST(GgufHostile, EveryCorpusFileFailsWithItsRule) {
  const auto& cases = testing::fixture("gguf_hostile/manifest.json").at("cases");
  ASSERT_GE(cases.size(), 50u);
  for (const auto& c : cases) {
    const std::string file = c.at("file");
    const std::string path = kDir + file;
    if (c.at("expect").is_null()) {
      EXPECT_NO_THROW(read_everything(GgufFile::open(path))) << file;
      continue;
    }
    const std::string expect = c.at("expect");
    try {
      read_everything(GgufFile::open(path));
      ADD_FAILURE() << file << ": read without error, expected '" << expect << "'";
    } catch (const Error& e) {
      const std::string msg = e.what();
      EXPECT_NE(msg.find(file), std::string::npos) << "message does not name the file: " << msg;
      EXPECT_NE(msg.find(expect), std::string::npos) << file << ": '" << msg << "' lacks '" << expect << "'";
    }
    // The in-memory parser agrees with the mapped one.
    const std::vector<uint8_t> bytes = read_bytes(path);
    EXPECT_THROW(read_everything(GgufFile::from_memory(bytes, file)), Error) << file;
  }
}

TEST(GgufHostile, EveryTruncationOfAValidFileIsRejected) {
  const std::vector<uint8_t> bytes = read_bytes(kDir + "valid_model.gguf");
  ASSERT_GT(bytes.size(), 1000u);
  EXPECT_NO_THROW(read_everything(GgufFile::from_memory(bytes, "whole")));
  for (size_t len = 0; len < bytes.size(); len += (len < 1200 ? 1 : 97)) {
    EXPECT_THROW((void)parse_gguf({bytes.data(), len}, "cut"), Error) << len;
  }
}

TEST(GgufHostile, MissingFileAndDirectoryAreErrors) {
  EXPECT_THROW((void)GgufFile::open("/nonexistent/model.gguf"), Error);
  EXPECT_THROW((void)GgufFile::open(kDir), Error);
}

}  // namespace
}  // namespace finefp8
