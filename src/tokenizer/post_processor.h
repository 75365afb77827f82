#pragma once
// Post-processors of tokenizer.json ("post_processor") for one sequence: TemplateProcessing,
// RobertaProcessing, BertProcessing, ByteLevel (no change to ids) and Sequence, reduced to the
// ids put before and after the encoded text when special tokens are added.
#include <cstdint>
#include <functional>
#include <optional>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace finefp8::tok {

struct PostProcessor {
  std::vector<int32_t> prefix;
  std::vector<int32_t> suffix;

  // `j` may be null. `token_id` resolves token strings (Roberta/Bert "cls"/"sep").
  static PostProcessor from_json(const nlohmann::json& j, std::string_view what,
                                 const std::function<std::optional<int32_t>(std::string_view)>& token_id);
};

}  // namespace finefp8::tok
