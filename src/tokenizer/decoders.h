#pragma once
// Decoders of tokenizer.json ("decoder"): ByteLevel, Metaspace, Replace, ByteFallback, Fuse,
// Strip and Sequence. Each maps the list of token strings to a new list (the library's
// decode_chain); the decoded text is the concatenation of the final list.
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace finefp8::tok {

class Decoder {
 public:
  // `j` is the "decoder" value (not null); `what` names it in errors.
  static std::unique_ptr<Decoder> from_json(const nlohmann::json& j, std::string_view what);
  virtual ~Decoder() = default;
  virtual void decode_chain(std::vector<std::string>& tokens) const = 0;
};

}  // namespace finefp8::tok
