#pragma once
// Hugging Face tokenizer files rebuilt from a GGUF's tokenizer metadata, the way transformers
// builds its tokenizer from the same file (integrations/gguf/gguf_tokenizer_mapping.py):
//  - tokenizer.ggml.model "gpt2": byte-level BPE (vocab re-spelled in the byte alphabet where a
//    token is not already, merges from the file, the split regex chosen by tokenizer.ggml.pre);
//  - "llama": SentencePiece-style BPE with byte fallback, Metaspace pre-tokenizer, merges from
//    the file or derived from the vocabulary and scores.
// Control tokens (token_type 3) become special added tokens, user-defined ones (4) plain
// added tokens.
#include <string>

#include <nlohmann/json.hpp>

#include "gguf/gguf_file.h"

namespace finefp8 {

struct HfTokenizerFiles {
  nlohmann::ordered_json tokenizer;         // tokenizer.json
  nlohmann::ordered_json tokenizer_config;  // tokenizer_config.json
};

// Error naming the file and key on missing or inconsistent tokenizer metadata, or an
// unsupported tokenizer.ggml.model.
HfTokenizerFiles build_hf_tokenizer(const GgufFile& f);

// GPT-2's byte -> printable code point table, as UTF-8 strings (bytes_to_unicode).
const std::string& gpt2_byte_char(uint8_t byte);

}  // namespace finefp8
