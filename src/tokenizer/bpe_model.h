#pragma once
// The BPE model of tokenizer.json ("model": {"type": "BPE", ...}): vocabulary, ranked merges,
// unk / byte_fallback / fuse_unk / ignore_merges / continuing_subword_prefix /
// end_of_word_suffix, as the `tokenizers` library applies them to one pre-token ("word").
// Merging is O(n log n) in the word length (a heap of candidate pairs, lowest rank first,
// leftmost on ties), so very long words (SentencePiece text without spaces) stay fast.
#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace finefp8::tok {

// Token ids are below 2^24 (real vocabularies stay under 300k): bounds what a hostile
// tokenizer.json can make the loader allocate.
constexpr int64_t kMaxTokenId = int64_t{1} << 24;

struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};
using TokenMap = std::unordered_map<std::string, int32_t, StringHash, std::equal_to<>>;

// Ids of words already tokenized during one encode call (English repeats its words).
using WordCache = std::unordered_map<std::string, std::vector<int32_t>, StringHash, std::equal_to<>>;

class BpeModel {
 public:
  // `model` is the "model" object; `what` names it in errors ("DIR/tokenizer.json: model").
  static BpeModel from_json(const nlohmann::json& model, std::string_view what);

  // Appends the ids of one pre-token. `word` is valid UTF-8 text; if `byte_level`, the
  // model sees its bytes through the byte-level alphabet (byte_level.h). `cache` (optional)
  // remembers results for the caller. Thread-safe.
  void tokenize(std::string_view word, bool byte_level, std::vector<int32_t>& out,
                WordCache* cache = nullptr) const;

  std::optional<int32_t> token_id(std::string_view token) const;
  // The token string of id, or nullptr.
  const std::string* token(int32_t id) const;
  // One past the largest id of the vocabulary.
  int32_t id_end() const { return static_cast<int32_t>(id_to_token_.size()); }

 private:
  struct MergeTable {
    struct Entry {
      uint64_t key = ~uint64_t{0};
      int32_t rank = 0;
      int32_t new_id = 0;
    };
    std::vector<Entry> slots;
    uint64_t mask = 0;
    void build(const std::vector<Entry>& entries);
    const Entry* find(int32_t a, int32_t b) const;
  };

  int32_t char_id(std::string_view ch, bool first, bool last) const;
  void tokenize_chunk(std::string_view text, std::vector<int32_t>& out) const;
  void merge(std::vector<int32_t>& ids) const;

  TokenMap vocab_;
  std::vector<const std::string*> id_to_token_;
  MergeTable merges_;
  std::vector<int32_t> bmp_ids_;          // code point < 0x10000 -> id of that 1-char token
  std::array<int32_t, 256> fallback_ids_{};  // <0xNN> ids, -1 if missing
  bool all_fallback_ = false;
  std::optional<int32_t> unk_id_;
  bool fuse_unk_ = false;
  bool byte_fallback_ = false;
  bool ignore_merges_ = false;
  std::string prefix_;  // continuing_subword_prefix
  std::string suffix_;  // end_of_word_suffix
  // SentencePiece vocabularies where "▁" only ever starts a token or follows another "▁":
  // no merge can cross the boundary before a "▁" that follows another character, so long
  // words are cut there first (exactly the same result; lets the cache work on words).
  bool cut_before_metaspace_ = false;
};

}  // namespace finefp8::tok
