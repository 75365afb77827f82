#include "tokenizer/post_processor.h"

#include <nlohmann/json.hpp>

#include "tokenizer/bpe_model.h"
#include "tokenizer/regex.h"
#include "util/error.h"

namespace finefp8::tok {

PostProcessor PostProcessor::from_json(
    const nlohmann::json& j, std::string_view what,
    const std::function<std::optional<int32_t>(std::string_view)>& token_id) {
  PostProcessor p;
  if (j.is_null()) return p;
  if (!j.is_object() || !j.contains("type") || !j["type"].is_string()) {
    fail("{}: must be an object with a 'type'", what);
  }
  const std::string type = j["type"].get<std::string>();
  if (type == "ByteLevel") return p;
  if (type == "TemplateProcessing") {
    if (!j.contains("single") || !j["single"].is_array()) fail("{}: no 'single' template", what);
    const nlohmann::json specials =
        j.contains("special_tokens") && j["special_tokens"].is_object() ? j["special_tokens"]
                                                                         : nlohmann::json::object();
    bool seen_sequence = false;
    for (const auto& item : j["single"]) {
      if (item.contains("Sequence")) {
        seen_sequence = true;
        continue;
      }
      if (!item.contains("SpecialToken") || !item["SpecialToken"].contains("id") ||
          !item["SpecialToken"]["id"].is_string()) {
        fail("{}: template items must be Sequence or SpecialToken", what);
      }
      const std::string name = item["SpecialToken"]["id"].get<std::string>();
      if (!specials.contains(name) || !specials[name].contains("ids") ||
          !specials[name]["ids"].is_array()) {
        fail("{}: special token '{}' of the template is not in 'special_tokens'", what, name);
      }
      for (const auto& id : specials[name]["ids"]) {
        if (!id.is_number_integer() || id.get<int64_t>() < 0 || id.get<int64_t>() >= kMaxTokenId) {
          fail("{}: special token '{}' has an invalid id", what, name);
        }
        (seen_sequence ? p.suffix : p.prefix).push_back(static_cast<int32_t>(id.get<int64_t>()));
      }
    }
    return p;
  }
  if (type == "RobertaProcessing" || type == "BertProcessing") {
    auto get = [&](const char* key) {
      if (!j.contains(key) || !j[key].is_array() || j[key].size() != 2 || !j[key][1].is_number_integer()) {
        fail("{}: '{}' must be [token, id]", what, key);
      }
      return static_cast<int32_t>(j[key][1].get<int64_t>());
    };
    p.prefix.push_back(get("cls"));
    p.suffix.push_back(get("sep"));
    return p;
  }
  if (type == "Sequence") {
    if (!j.contains("processors") || !j["processors"].is_array()) {
      fail("{}: Sequence needs a 'processors' array", what);
    }
    const NestingGuard guard(what);
    for (size_t i = 0; i < j["processors"].size(); ++i) {
      PostProcessor q =
          from_json(j["processors"][i], fmt::format("{}.processors[{}]", what, i), token_id);
      q.prefix.insert(q.prefix.end(), p.prefix.begin(), p.prefix.end());
      p.prefix = std::move(q.prefix);
      p.suffix.insert(p.suffix.end(), q.suffix.begin(), q.suffix.end());
    }
    return p;
  }
  fail("{}: post-processor type '{}' is not supported", what, type);
}

}  // namespace finefp8::tok
