#pragma once
// Normalizers of tokenizer.json ("normalizer"): NFC/NFD/NFKC/NFKD, Lowercase, Strip, Prepend,
// Replace (string or regex) and Sequence, applied like the `tokenizers` library to each piece
// of text left between added tokens.
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "tokenizer/regex.h"

namespace finefp8::tok {

class Normalizer {
 public:
  // `j` is the "normalizer" value (not null); `what` names it in errors.
  static std::unique_ptr<Normalizer> from_json(const nlohmann::json& j, std::string_view what);
  virtual ~Normalizer() = default;
  // Normalizes valid UTF-8 in place.
  virtual void normalize(std::string& text) const = 0;
};

}  // namespace finefp8::tok
