#pragma once
// The tokenizer of a Hugging Face checkpoint: reads tokenizer.json (+ tokenizer_config.json,
// chat_template.jinja, generation_config.json when present) and produces exactly the ids of
// the `tokenizers` library (docs/TOKENIZER.md lists what is supported and the few known
// differences). BPE models only: byte-level (GPT-2 / Llama 3 / Qwen / SmolLM2) and
// SentencePiece-style with byte fallback (Llama 2 / Mistral v0.1 / TinyLlama).
//
// Thread-safety: a loaded Tokenizer is immutable; all const methods may run concurrently.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace finefp8 {

struct EncodeOptions {
  // Add BOS/EOS as the post-processor (TemplateProcessing) of tokenizer.json does, or as
  // add_bos_token / add_eos_token of tokenizer_config.json override for Llama tokenizers.
  bool add_special = false;
  // Match special-token text ("<|im_start|>") in the input as the special token. Off for
  // untrusted text: then it is tokenized as plain text. Non-special added tokens always match.
  bool parse_special = false;
};

class Tokenizer {
 public:
  // Loads DIR/tokenizer.json and, if present, DIR/tokenizer_config.json,
  // DIR/chat_template.jinja and DIR/generation_config.json. Throws Error naming the file and
  // field for anything missing, malformed or unsupported.
  static Tokenizer load(const std::filesystem::path& dir);
  // The same from parsed JSON (config may be null); `what` names the source in errors.
  static Tokenizer from_json(const nlohmann::json& tokenizer, const nlohmann::json& config,
                             std::string_view what);

  Tokenizer(Tokenizer&&) noexcept;
  Tokenizer& operator=(Tokenizer&&) noexcept;
  ~Tokenizer();

  // Token ids of `text`. Invalid UTF-8 is first replaced by U+FFFD, one per maximal ill-formed
  // subpart (what Python's bytes.decode("utf-8", errors="replace") gives), then encoded.
  std::vector<int32_t> encode(std::string_view text, const EncodeOptions& options = {}) const;

  // Text of `ids` through the tokenizer's decoder. Always valid UTF-8 (bytes that do not form
  // characters become U+FFFD). With skip_special, special added tokens are left out. Ids
  // outside the vocabulary are skipped.
  std::string decode(std::span<const int32_t> ids, bool skip_special = false) const;

  // The token string of id (byte-level tokens in their "Ġ" alphabet); empty if none.
  std::string_view piece(int32_t id) const;
  // One past the largest id (model vocabulary and added tokens).
  size_t vocab_size() const;
  std::optional<int32_t> token_id(std::string_view token) const;
  std::optional<int32_t> bos_id() const;
  // End-of-sequence ids: eos_token of tokenizer_config.json, then generation_config.json's.
  std::vector<int32_t> eos_ids() const;
  std::optional<std::string> chat_template() const;
  bool is_special(int32_t id) const;

 private:
  Tokenizer();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Turns generated ids into text as they arrive: push() returns the text that is final (never
// a partial UTF-8 character, never text a later token could still change, e.g. a byte-fallback
// sequence or the leading-space rule of SentencePiece decoders); flush() returns the rest.
// Concatenating all results equals decode(all ids, skip_special).
class StreamingDecoder {
 public:
  explicit StreamingDecoder(const Tokenizer& tokenizer, bool skip_special = true);
  std::string push(int32_t id);
  std::string flush();

 private:
  const Tokenizer* tok_;
  bool skip_special_;
  std::vector<int32_t> ids_;  // tokens still in view: ids_[0, prefix_count_) are already printed
  size_t prefix_count_ = 0;
  std::string prefix_text_;   // decode(ids_[0, prefix_count_))
};

}  // namespace finefp8
