#pragma once
// Added tokens ("added_tokens" of tokenizer.json): found in the text before the model sees it,
// as the `tokenizers` library does: leftmost-longest matching (a byte trie), `single_word`
// (only between non-word characters), `lstrip`/`rstrip` (swallow the whitespace beside the
// token), `normalized` (false: matched in the raw text; true: matched in the normalized text,
// against the token's normalized form). Special tokens match only when asked (parse_special).
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace finefp8::tok {

class Normalizer;

struct AddedToken {
  std::string content;
  int32_t id = 0;
  bool special = false;
  bool lstrip = false;
  bool rstrip = false;
  bool normalized = false;
  bool single_word = false;
  // The token's string for decoding and piece(): the content, or for a `normalized` token its
  // normalized content (what the library's id_to_token returns).
  std::string piece;
};

// A piece of text: an added token (id >= 0) or plain text to normalize and tokenize (id < 0).
struct TextPiece {
  size_t begin, end;
  int32_t id;
};

class AddedTokens {
 public:
  AddedTokens() = default;
  // Builds the two tries; the normalized trie holds the normalized contents of the
  // `normalized` tokens (normalizer may be null).
  AddedTokens(std::vector<AddedToken> tokens, const Normalizer* normalizer);

  // Splits text (valid UTF-8) into pieces covering all of it; `normalized_pass` selects which
  // tokens are looked for.
  std::vector<TextPiece> split(std::string_view text, bool normalized_pass,
                               bool parse_special) const;
  bool has_normalized() const { return !normalized_.nodes.empty(); }

  const std::vector<AddedToken>& tokens() const { return tokens_; }

 private:
  struct Trie {
    struct Node {
      std::vector<std::pair<uint8_t, int32_t>> next;
      int32_t token = -1;  // index into tokens_ if a token ends here
    };
    std::vector<Node> nodes;  // nodes[0] is the root when not empty
    bool first[256] = {};
    void insert(std::string_view key, int32_t token);
    // Length of the longest key starting at text[pos], with its token index; {0,-1} if none.
    std::pair<size_t, int32_t> longest(std::string_view text, size_t pos) const;
  };

  std::vector<AddedToken> tokens_;
  Trie raw_, normalized_;
};

}  // namespace finefp8::tok
