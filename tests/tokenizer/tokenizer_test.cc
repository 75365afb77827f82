// The public Tokenizer API on the real tokenizers of ../shared/data and the committed tiny ones:
// special tokens, BOS/EOS, decoding, the streaming decoder, invalid input, long words, errors.
#include <chrono>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tokenizer/tokenizer.h"
#include "tokenizer/tokenizer_test_util.h"
#include "tokenizer/unicode.h"
#include "util/error.h"

namespace finefp8 {
namespace {

std::filesystem::path real(const char* name) {
  return testing::shared_data_dir() / "tokenizers" / name;
}

const std::string kMixed =
    "Hello, wörld! 你好 😀👨\u200d👩\u200d👧 e\u0301 \t\n  123456 <|im_start|> <s> \xF0\x9F\x98";

TEST(TokenizerLlama3, SpecialTokensAndBos) {
  FINEFP8_REQUIRE_PATH(real("llama3"));
  const Tokenizer tok = Tokenizer::load(real("llama3"));
  EXPECT_EQ(tok.vocab_size(), 128256u);
  EXPECT_EQ(tok.bos_id(), 128000);
  EXPECT_EQ(tok.eos_ids(), std::vector<int32_t>{128001});
  EXPECT_TRUE(tok.is_special(128000));
  EXPECT_FALSE(tok.is_special(9906));
  EXPECT_TRUE(tok.chat_template().has_value());
  EXPECT_EQ(tok.piece(1917), "\xC4\xA0world");
  EXPECT_EQ(tok.token_id("<|eot_id|>"), 128009);
  // Special-token text is plain text unless parse_special.
  EXPECT_EQ(tok.encode("<|begin_of_text|>x", {.parse_special = true}),
            (std::vector<int32_t>{128000, 87}));
  EXPECT_NE(tok.encode("<|begin_of_text|>x").front(), 128000);
  // This tokenizer.json's post-processor is ByteLevel only: no BOS is added.
  EXPECT_EQ(tok.encode("x", {.add_special = true}), tok.encode("x"));
  EXPECT_EQ(tok.decode(std::vector<int32_t>{128000, 9906}), "<|begin_of_text|>Hello");
  EXPECT_EQ(tok.decode(std::vector<int32_t>{128000, 9906}, true), "Hello");
}

TEST(TokenizerLlama2, BosAndByteFallback) {
  FINEFP8_REQUIRE_PATH(real("llama2"));
  const Tokenizer tok = Tokenizer::load(real("llama2"));
  EXPECT_EQ(tok.bos_id(), 1);
  EXPECT_EQ(tok.eos_ids(), std::vector<int32_t>{2});
  const auto ids = tok.encode("Hello world", {.add_special = true});
  EXPECT_EQ(ids, (std::vector<int32_t>{1, *tok.token_id("\xE2\x96\x81Hello"),
                                       *tok.token_id("\xE2\x96\x81world")}));
  EXPECT_EQ(tok.decode(ids, true), "Hello world");
  // A character outside the vocabulary falls back to its bytes and decodes back.
  const auto emoji = tok.encode("\xF0\x9F\xA6\x80");  // U+1F980 crab
  EXPECT_GE(emoji.size(), 4u);
  EXPECT_EQ(tok.decode(emoji), "\xF0\x9F\xA6\x80");
}

TEST(TokenizerQwen3, NfcAndNoBos) {
  FINEFP8_REQUIRE_PATH(real("qwen3"));
  const Tokenizer tok = Tokenizer::load(real("qwen3"));
  EXPECT_FALSE(tok.bos_id().has_value());
  EXPECT_EQ(tok.eos_ids(), std::vector<int32_t>{151645});
  EXPECT_EQ(tok.encode("e\xCC\x81"), tok.encode("\xC3\xA9"));  // NFC
  EXPECT_EQ(tok.encode("x", {.add_special = true}), tok.encode("x"));
}

// Every tokenizer: streaming output is valid UTF-8 piece by piece and adds up to decode().
TEST(TokenizerStreaming, ValidUtf8AndSameText) {
  std::vector<std::filesystem::path> dirs = {testing::tiny_tokenizer_dir("tiny_bytelevel"),
                                             testing::tiny_tokenizer_dir("tiny_metaspace")};
  for (const char* n : {"llama3", "qwen3", "llama2"}) {
    if (std::filesystem::exists(real(n))) dirs.push_back(real(n));
  }
  for (const auto& dir : dirs) {
    const Tokenizer tok = Tokenizer::load(dir);
    for (bool skip : {true, false}) {
      const auto ids = tok.encode(kMixed, {.parse_special = true});
      StreamingDecoder stream(tok, skip);
      std::string all;
      for (int32_t id : ids) {
        const std::string piece = stream.push(id);
        EXPECT_EQ(tok::valid_utf8_prefix(piece), piece.size()) << dir;
        all += piece;
      }
      all += stream.flush();
      EXPECT_EQ(all, tok.decode(ids, skip)) << dir;
    }
  }
}

TEST(TokenizerStreaming, HoldsBackPartialCharacters) {
  FINEFP8_REQUIRE_PATH(real("llama3"));
  const Tokenizer tok = Tokenizer::load(real("llama3"));
  // U+1F600 is two byte-level tokens in Llama 3: nothing may be printed after the first.
  const auto ids = tok.encode("\xF0\x9F\x98\x80");
  ASSERT_EQ(ids.size(), 2u);
  StreamingDecoder stream(tok);
  EXPECT_EQ(stream.push(ids[0]), "");
  EXPECT_EQ(stream.push(ids[1]), "\xF0\x9F\x98\x80");
  EXPECT_EQ(stream.flush(), "");
}

TEST(TokenizerInvalidUtf8, ReplacedBeforeEncoding) {
  const Tokenizer tok = Tokenizer::load(testing::tiny_tokenizer_dir("tiny_bytelevel"));
  EXPECT_EQ(tok.encode("a\xFF" "b\xF0\x9F"), tok.encode("a\xEF\xBF\xBD" "b\xEF\xBF\xBD"));
  EXPECT_EQ(tok.encode("\xED\xA0\x80"), tok.encode("\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"));
  const std::string d = tok.decode(tok.encode("\xC0\xAF"));
  EXPECT_EQ(tok::valid_utf8_prefix(d), d.size());
}

TEST(TokenizerLongWords, NoQuadraticTime) {
  FINEFP8_REQUIRE_PATH(real("llama2"));
  const Tokenizer tok = Tokenizer::load(real("llama2"));
  const std::string word(300000, 'a');  // one 300k-character word for SentencePiece BPE
  const auto t0 = std::chrono::steady_clock::now();
  const auto ids = tok.encode(word);
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_LT(s, 2.0);
  EXPECT_EQ(tok.decode(ids), word);
}

TEST(TokenizerErrors, NameTheField) {
  using nlohmann::json;
  const json good = json::parse(R"({"model": {"type": "BPE", "vocab": {"a": 0, "b": 1, "ab": 2},
      "merges": ["a b"]}, "added_tokens": []})");
  EXPECT_EQ(Tokenizer::from_json(good, json(), "t.json").encode("abab"),
            (std::vector<int32_t>{2, 2}));
  auto expect_error = [](json j, const std::string& needle) {
    try {
      Tokenizer::from_json(j, json(), "t.json");
      ADD_FAILURE() << "no error for " << needle;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
  };
  json j = good;
  j["model"]["merges"] = json::array({"a c"});
  expect_error(j, "merges[0] uses a token that is not in the vocab");
  j = good;
  j["model"]["type"] = "Unigram";
  expect_error(j, "model type 'Unigram' is not supported");
  j = good;
  j["pre_tokenizer"] = {{"type", "Split"}, {"pattern", {{"Regex", "(unclosed"}}}};
  expect_error(j, "pre_tokenizer: regex '(unclosed' does not compile");
  j = good;
  j["added_tokens"] = json::array({{{"id", 5}}});
  expect_error(j, "added_tokens[0]: needs 'id'");
  j = good;
  j["decoder"] = {{"type", "WordPiece"}};
  expect_error(j, "decoder type 'WordPiece' is not supported");
  EXPECT_THROW(Tokenizer::load("/nonexistent/dir"), Error);
}

TEST(TokenizerAddedTokens, FlagsOfTheTinyTokenizer) {
  const Tokenizer tok = Tokenizer::load(testing::tiny_tokenizer_dir("tiny_metaspace"));
  const int32_t lstrip = *tok.token_id("[LSTRIP]"), rstrip = *tok.token_id("[RSTRIP]");
  const int32_t word = *tok.token_id("word");
  // lstrip swallows the spaces before, rstrip those after.
  EXPECT_EQ(tok.encode("  [LSTRIP]", {.parse_special = true}), std::vector<int32_t>{lstrip});
  EXPECT_EQ(tok.encode("[RSTRIP]   "), std::vector<int32_t>{rstrip});
  // single_word: only between non-word characters.
  EXPECT_EQ(tok.encode("word"), std::vector<int32_t>{word});
  const auto inside = tok.encode("swords");
  EXPECT_EQ(std::find(inside.begin(), inside.end(), word), inside.end());
}

}  // namespace
}  // namespace finefp8
