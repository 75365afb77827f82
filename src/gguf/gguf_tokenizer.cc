#include "gguf/gguf_tokenizer.h"

#include <algorithm>
#include <array>
#include <map>
#include <unordered_map>

#include <fmt/format.h>

#include "util/error.h"

namespace finefp8 {
namespace {

using ojson = nlohmann::ordered_json;

std::string utf8(uint32_t cp) {
  std::string s;
  if (cp < 0x80) {
    s += char(cp);
  } else if (cp < 0x800) {
    s += char(0xC0 | (cp >> 6));
    s += char(0x80 | (cp & 0x3F));
  } else {
    s += char(0xE0 | (cp >> 12));
    s += char(0x80 | ((cp >> 6) & 0x3F));
    s += char(0x80 | (cp & 0x3F));
  }
  return s;
}

// Splits UTF-8 into code points (invalid bytes become one piece each, like a lossy decode
// would keep them apart).
std::vector<std::string_view> code_points(std::string_view s) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < s.size()) {
    const auto c = uint8_t(s[i]);
    size_t len = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 1;
    if (i + len > s.size()) len = 1;
    for (size_t k = 1; k < len; ++k) {
      if ((uint8_t(s[i + k]) & 0xC0) != 0x80) { len = 1; break; }
    }
    out.push_back(s.substr(i, len));
    i += len;
  }
  return out;
}

// The split regexes transformers applies for a tokenizer.ggml.pre value (byte-level BPE).
// Absent: GPT-2's own ByteLevel regex.
const char* split_regex(std::string_view pre) {
  static const char* kLlama3 =
      "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}"
      "| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
  static const char* kQwen2 =
      "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*"
      "|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
  static const std::map<std::string_view, const char*> m = {
      {"llama3", kLlama3}, {"llama-v3", kLlama3}, {"llama-bpe", kLlama3}, {"falcon3", kLlama3},
      {"smaug-bpe", kLlama3}, {"dbrx", kLlama3}, {"qwen2", kQwen2}, {"deepseek-r1-qwen", kQwen2},
  };
  const auto it = m.find(pre);
  return it == m.end() ? nullptr : it->second;
}

struct Vocab {
  std::vector<std::string> tokens;  // as they go into the model's vocab
  std::vector<int64_t> types;       // token_type per id (1 normal if absent)
};

const std::pair<const char*, const char*> kSpecialTokenKeys[] = {
    {"bos_token", "tokenizer.ggml.bos_token_id"},
    {"eos_token", "tokenizer.ggml.eos_token_id"},
    {"unk_token", "tokenizer.ggml.unknown_token_id"},
    {"pad_token", "tokenizer.ggml.padding_token_id"},
};

// Control tokens (type 3) and the named bos/eos/unk/pad tokens are special added tokens,
// user-defined ones (type 4) plain added tokens; in id order.
ojson added_tokens(const GgufFile& f, const Vocab& v, bool byte_level) {
  const auto& raw = f.get_string_array("tokenizer.ggml.tokens");
  std::vector<bool> named(raw.size(), false);
  for (const auto& [name, key] : kSpecialTokenKeys) {
    if (const auto id = f.uint_or(key)) named[*id] = true;
  }
  ojson list = ojson::array();
  for (size_t id = 0; id < raw.size(); ++id) {
    const int64_t type = v.types[id];
    bool special = named[id] || type == 3;
    if (type == 3 && !named[id] && byte_level && raw[id] != v.tokens[id]) special = false;  // a llama.cpp mislabel
    if (!special && type != 4) continue;
    list.push_back({{"id", id}, {"content", v.tokens[id]}, {"single_word", false}, {"lstrip", false},
                    {"rstrip", false}, {"normalized", false}, {"special", special}});
  }
  return list;
}

ojson vocab_json(const Vocab& v) {
  // Like a Python dict built from (token, id) pairs: a repeated token keeps its last id.
  std::unordered_map<std::string_view, size_t> last;
  for (size_t id = 0; id < v.tokens.size(); ++id) last[v.tokens[id]] = id;
  ojson j = ojson::object();
  // Keys are unique here: append to the ordered map directly (its operator[] searches
  // linearly, quadratic over a 100k-token vocabulary).
  auto& entries = j.get_ref<ojson::object_t&>();
  entries.reserve(last.size());
  for (size_t id = 0; id < v.tokens.size(); ++id) {
    if (last[v.tokens[id]] == id) entries.emplace_back(v.tokens[id], ojson(id));
  }
  return j;
}

ojson merges_from_file(const GgufFile& f) {
  ojson merges = ojson::array();
  const auto& m = f.get_string_array("tokenizer.ggml.merges");
  for (size_t k = 0; k < m.size(); ++k) {
    const size_t sp = m[k].find(' ');
    if (sp == std::string::npos || sp == 0 || sp + 1 == m[k].size() || m[k].find(' ', sp + 1) != std::string::npos) {
      fail("{}: tokenizer.ggml.merges entry {} ('{}') is not 'LEFT RIGHT'", f.path(), k, m[k]);
    }
    merges.push_back({m[k].substr(0, sp), m[k].substr(sp + 1)});
  }
  return merges;
}

// transformers' generate_merges(vocab, vocab_scores): every split of a token into two
// vocabulary pieces is a merge ranked by the token's score (higher first), then by the
// pieces' lengths in code points (longer first); ties keep vocabulary order.
ojson merges_from_scores(const Vocab& v, const std::vector<double>& scores) {
  std::unordered_map<std::string_view, size_t> id;
  for (size_t i = 0; i < v.tokens.size(); ++i) id[v.tokens[i]] = i;
  // dict(zip(tokens, scores)): first position, last score.
  std::unordered_map<std::string_view, double> score;
  std::vector<size_t> order;
  for (size_t i = 0; i < v.tokens.size(); ++i) {
    if (score.count(v.tokens[i]) == 0) order.push_back(i);
    score[v.tokens[i]] = scores[i];
  }
  struct Merge {
    std::string_view l, r;
    double score;
    size_t len_l, len_r;
  };
  std::vector<Merge> all;
  for (size_t i : order) {
    const std::string_view tok = v.tokens[i];
    const auto cps = code_points(tok);
    std::vector<Merge> local;
    size_t off = 0;
    for (size_t k = 1; k < cps.size(); ++k) {
      off += cps[k - 1].size();
      const std::string_view l = tok.substr(0, off), r = tok.substr(off);
      if (id.count(l) && id.count(r)) local.push_back({l, r, score[tok], k, cps.size() - k});
    }
    std::stable_sort(local.begin(), local.end(), [&](const Merge& a, const Merge& b) {
      return std::pair(id[a.l], id[a.r]) < std::pair(id[b.l], id[b.r]);
    });
    all.insert(all.end(), local.begin(), local.end());
  }
  std::stable_sort(all.begin(), all.end(), [](const Merge& a, const Merge& b) {
    return std::tuple(a.score, a.len_l, a.len_r) > std::tuple(b.score, b.len_l, b.len_r);
  });
  ojson merges = ojson::array();
  for (const Merge& m : all) merges.push_back({std::string(m.l), std::string(m.r)});
  return merges;
}

ojson template_processor(const GgufFile& f, const Vocab& v, bool add_bos, bool add_eos) {
  ojson single = ojson::array(), pair = ojson::array(), special = ojson::object();
  auto special_piece = [&](const char* key, ojson& seq, int type_id) {
    const uint64_t id = f.get_uint(key);
    const std::string& tok = v.tokens[id];
    seq.push_back({{"SpecialToken", {{"id", tok}, {"type_id", type_id}}}});
    special[tok] = {{"id", tok}, {"ids", {id}}, {"tokens", {tok}}};
  };
  for (int seq = 0; seq < 2; ++seq) {
    for (ojson* out : {&single, &pair}) {
      if (seq == 1 && out == &single) continue;
      if (add_bos) special_piece("tokenizer.ggml.bos_token_id", *out, seq);
      out->push_back({{"Sequence", {{"id", seq == 0 ? "A" : "B"}, {"type_id", seq}}}});
      if (add_eos) special_piece("tokenizer.ggml.eos_token_id", *out, seq);
    }
  }
  return {{"type", "TemplateProcessing"}, {"single", single}, {"pair", pair}, {"special_tokens", special}};
}

}  // namespace

const std::string& gpt2_byte_char(uint8_t byte) {
  static const std::array<std::string, 256> table = [] {
    std::array<std::string, 256> t;
    uint32_t next = 256;
    for (uint32_t b = 0; b < 256; ++b) {
      const bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
      t[b] = utf8(printable ? b : next++);
    }
    return t;
  }();
  return table[byte];
}

HfTokenizerFiles build_hf_tokenizer(const GgufFile& f) {
  const std::string model = f.get_string("tokenizer.ggml.model");
  if (model != "gpt2" && model != "llama") {
    fail("{}: tokenizer.ggml.model '{}' is not supported by `finefp8 convert` yet (supported: gpt2, "
         "llama)", f.path(), model);
  }
  const auto& raw = f.get_string_array("tokenizer.ggml.tokens");  // length checked by the reader
  Vocab v;
  v.types = f.find("tokenizer.ggml.token_type") ? f.get_int_array("tokenizer.ggml.token_type")
                                                 : std::vector<int64_t>(raw.size(), 1);
  const bool byte_level = model == "gpt2";
  if (byte_level) {
    // A token already spelled in the byte alphabet stays; any other is re-spelled byte by byte.
    std::unordered_map<std::string_view, bool> alphabet;
    for (int b = 0; b < 256; ++b) alphabet[gpt2_byte_char(uint8_t(b))] = true;
    for (const std::string& t : raw) {
      bool spelled = true;
      for (std::string_view cp : code_points(t)) spelled = spelled && alphabet.count(cp);
      if (spelled) {
        v.tokens.push_back(t);
      } else {
        std::string s;
        for (unsigned char c : t) s += gpt2_byte_char(c);
        v.tokens.push_back(s);
      }
    }
  } else {
    v.tokens = raw;
  }
  const bool add_bos = f.bool_or("tokenizer.ggml.add_bos_token").value_or(!byte_level);
  const bool add_eos = f.bool_or("tokenizer.ggml.add_eos_token").value_or(false);
  if (add_bos && !f.find("tokenizer.ggml.bos_token_id")) {
    fail("{}: tokenizer.ggml.add_bos_token is set but tokenizer.ggml.bos_token_id is missing", f.path());
  }
  if (add_eos && !f.find("tokenizer.ggml.eos_token_id")) {
    fail("{}: tokenizer.ggml.add_eos_token is set but tokenizer.ggml.eos_token_id is missing", f.path());
  }

  ojson tok;
  tok["version"] = "1.0";
  tok["truncation"] = nullptr;
  tok["padding"] = nullptr;
  tok["added_tokens"] = added_tokens(f, v, byte_level);
  tok["normalizer"] = nullptr;
  ojson bpe;
  bpe["type"] = "BPE";
  bpe["dropout"] = nullptr;
  if (byte_level) {
    const auto pre = f.string_or("tokenizer.ggml.pre");
    const char* regex = pre ? split_regex(*pre) : nullptr;
    if (regex != nullptr) {
      tok["pre_tokenizer"] = {
          {"type", "Sequence"},
          {"pretokenizers",
           {{{"type", "Split"}, {"pattern", {{"Regex", regex}}}, {"behavior", "Isolated"}, {"invert", false}},
            {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"trim_offsets", true}, {"use_regex", false}}}}};
    } else {
      tok["pre_tokenizer"] = {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"trim_offsets", true}, {"use_regex", true}};
    }
    tok["post_processor"] = template_processor(f, v, add_bos, add_eos);
    tok["decoder"] = {{"type", "ByteLevel"}, {"add_prefix_space", true}, {"trim_offsets", true}, {"use_regex", true}};
    bpe["unk_token"] = nullptr;
    bpe["continuing_subword_prefix"] = "";
    bpe["end_of_word_suffix"] = "";
    bpe["fuse_unk"] = false;
    bpe["byte_fallback"] = false;
  } else {
    tok["pre_tokenizer"] = {{"type", "Metaspace"}, {"replacement", "\u2581"}, {"prepend_scheme", "first"}, {"split", false}};
    tok["post_processor"] = template_processor(f, v, add_bos, add_eos);
    tok["decoder"] = {{"type", "Sequence"},
                      {"decoders",
                       {{{"type", "Replace"}, {"pattern", {{"String", "\u2581"}}}, {"content", " "}},
                        {{"type", "ByteFallback"}},
                        {{"type", "Fuse"}},
                        {{"type", "Strip"}, {"content", " "}, {"start", 1}, {"stop", 0}}}}};
    bpe["unk_token"] = nullptr;  // as transformers' LlamaTokenizer: byte fallback, else dropped
    bpe["continuing_subword_prefix"] = nullptr;
    bpe["end_of_word_suffix"] = nullptr;
    bpe["fuse_unk"] = true;
    bpe["byte_fallback"] = true;
  }
  bpe["ignore_merges"] = false;
  bpe["vocab"] = vocab_json(v);
  if (f.find("tokenizer.ggml.merges")) {
    bpe["merges"] = merges_from_file(f);
  } else if (!byte_level && f.find("tokenizer.ggml.scores")) {
    bpe["merges"] = merges_from_scores(v, f.get_float_array("tokenizer.ggml.scores"));
  } else {
    fail("{}: the tokenizer has neither tokenizer.ggml.merges nor tokenizer.ggml.scores", f.path());
  }
  tok["model"] = bpe;

  ojson cfg;
  cfg["add_bos_token"] = add_bos;
  cfg["add_eos_token"] = add_eos;
  for (const auto& [name, key] : kSpecialTokenKeys) {
    const auto id = f.uint_or(key);
    cfg[name] = id ? ojson(raw[*id]) : ojson(nullptr);  // the token as the file spells it
  }
  if (const auto tmpl = f.string_or("tokenizer.chat_template")) cfg["chat_template"] = *tmpl;
  cfg["clean_up_tokenization_spaces"] = false;
  if (const auto ctx = f.uint_or("llama.context_length")) cfg["model_max_length"] = *ctx;
  cfg["tokenizer_class"] = "PreTrainedTokenizerFast";
  return {tok, cfg};
}

}  // namespace finefp8
