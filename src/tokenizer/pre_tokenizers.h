#pragma once
// Pre-tokenizers of tokenizer.json ("pre_tokenizer"): Split (regex or string, all five
// delimiter behaviours, invert), ByteLevel, Metaspace, Whitespace, WhitespaceSplit, Digits and
// Sequence. They cut a normalized piece of text into the words the model sees.
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace finefp8::tok {

struct PreToken {
  std::string text;
  bool at_start = false;  // begins at offset 0 of the input (Metaspace prepend_scheme "first")
};

class PreTokenizer {
 public:
  // `j` is the "pre_tokenizer" value (not null); `what` names it in errors.
  static std::unique_ptr<PreTokenizer> from_json(const nlohmann::json& j, std::string_view what);
  virtual ~PreTokenizer() = default;
  // Splits (and for Metaspace rewrites) every piece; empty pieces are dropped.
  virtual void pre_tokenize(std::vector<PreToken>& pieces) const = 0;
  // True if the model must see the words' bytes through the byte-level alphabet.
  virtual bool byte_level() const { return false; }
};

}  // namespace finefp8::tok
