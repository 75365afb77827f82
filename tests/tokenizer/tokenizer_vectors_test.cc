// The llama.cpp tokenizer test vectors (../shared/data/tokenizer-vectors, see its README):
// each string of NAME.inp encodes, without BOS/EOS, to the ids of the same line of NAME.out.
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tokenizer/tokenizer_test_util.h"
#include "tokenizer/tokenizer.h"

namespace finefp8 {
namespace {

std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

struct VectorCase {
  const char* vectors;
  const char* tokenizer;
  int32_t space_id;  // id of the vectors' vocabulary for its space piece ("Ġ" or "▁")
  const char* space_piece;
};

class TokenizerVectors : public ::testing::TestWithParam<VectorCase> {};

TEST_P(TokenizerVectors, MatchLlamaCpp) {
  const auto data = testing::shared_data_dir();
  const auto inp = data / "tokenizer-vectors" / (std::string(GetParam().vectors) + ".inp");
  const auto out = data / "tokenizer-vectors" / (std::string(GetParam().vectors) + ".out");
  const auto dir = data / "tokenizers" / GetParam().tokenizer;
  FINEFP8_REQUIRE_PATH(inp);
  FINEFP8_REQUIRE_PATH(dir);
  const Tokenizer tok = Tokenizer::load(dir);
  // The vectors only apply to the vocabulary they were made with. The shared
  // tokenizers/llama2 holds Mistral v0.1's vocabulary ("▁" = 28705) while llama.cpp's
  // llama-spm vectors are Llama 2's ("▁" = 29871): the `tokenizers` library itself matches 2 of
  // 46 there. Such a pairing is a data error, reported rather than tested; the vectors' strings
  // are still checked against the library by tests/python/test_tokenizer_conformance.py.
  if (tok.piece(GetParam().space_id) != GetParam().space_piece) {
    GTEST_SKIP() << "shared data mismatch: " << dir << " is not the vocabulary of the "
                 << GetParam().vectors << " vectors (token " << GetParam().space_id << " is '"
                 << tok.piece(GetParam().space_id) << "', not '" << GetParam().space_piece << "')";
  }

  const std::string text = slurp(inp);
  const std::string sep = "\n__ggml_vocab_test__\n";
  std::vector<std::string> inputs;
  for (size_t pos = 0; pos < text.size();) {
    const size_t at = text.find(sep, pos);
    if (at == std::string::npos) break;
    inputs.push_back(text.substr(pos, at - pos));
    pos = at + sep.size();
  }
  std::vector<std::vector<int32_t>> expected;
  std::istringstream lines(slurp(out));
  for (std::string line; std::getline(lines, line);) {
    std::istringstream ids(line);
    expected.emplace_back();
    for (int32_t id; ids >> id;) expected.back().push_back(id);
  }
  ASSERT_EQ(inputs.size(), expected.size());
  ASSERT_GE(inputs.size(), 40u);
  for (size_t i = 0; i < inputs.size(); ++i) {
    EXPECT_EQ(tok.encode(inputs[i]), expected[i]) << "string " << i << ": '" << inputs[i] << "'";
  }
}

INSTANTIATE_TEST_SUITE_P(, TokenizerVectors,
                         ::testing::Values(VectorCase{"llama-bpe", "llama3", 220, "\xC4\xA0"},
                                           VectorCase{"qwen2", "qwen3", 220, "\xC4\xA0"},
                                           VectorCase{"llama-spm", "llama2", 29871, "\xE2\x96\x81"}),
                         [](const auto& info) {
                           std::string n = info.param.tokenizer;
                           return n;
                         });

}  // namespace
}  // namespace finefp8
