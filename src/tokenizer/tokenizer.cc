#include "util/json_value.h"
#include "tokenizer/tokenizer.h"

#include <algorithm>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "io/json_file.h"
#include "tokenizer/added_tokens.h"
#include "tokenizer/bpe_model.h"
#include "tokenizer/decoders.h"
#include "tokenizer/normalizers.h"
#include "tokenizer/post_processor.h"
#include "tokenizer/pre_tokenizers.h"
#include "tokenizer/unicode.h"
#include "util/error.h"

namespace finefp8 {

using json = nlohmann::json;

struct Tokenizer::Impl {
  tok::BpeModel model;
  std::unique_ptr<tok::Normalizer> normalizer;
  std::unique_ptr<tok::PreTokenizer> pre_tokenizer;
  std::unique_ptr<tok::Decoder> decoder;
  tok::AddedTokens added;
  bool byte_level = false;
  tok::PostProcessor post;
  std::vector<const std::string*> added_by_id;  // content of the added token with that id
  std::vector<uint8_t> special_by_id;
  tok::TokenMap added_ids;
  std::optional<int32_t> bos;
  std::vector<int32_t> eos;
  std::optional<std::string> chat_template;
  size_t vocab_size = 0;

  void encode_text(std::string_view text, const EncodeOptions& o, std::vector<int32_t>& ids) const;
};

namespace {

bool flag(const json& j, const char* key, bool def, std::string_view what) {
  if (!j.contains(key) || j[key].is_null()) return def;
  if (!j[key].is_boolean()) fail("{}: '{}' must be true or false", what, key);
  return j[key].get<bool>();
}

// tokenizer_config.json spells a token as "text", {"content": "text", ...} or null.
std::optional<std::string> config_token(const json& config, const char* key, std::string_view what) {
  if (!config.is_object() || !config.contains(key) || config[key].is_null()) return std::nullopt;
  const json& v = config[key];
  if (v.is_string()) return v.get<std::string>();
  if (v.is_object() && v.contains("content") && v["content"].is_string()) {
    return v["content"].get<std::string>();
  }
  fail("{}: '{}' must be a string, {{\"content\": ...}} or null", what, key);
}

std::optional<std::string> read_text_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

Tokenizer::Tokenizer() : impl_(std::make_unique<Impl>()) {}
Tokenizer::Tokenizer(Tokenizer&&) noexcept = default;
Tokenizer& Tokenizer::operator=(Tokenizer&&) noexcept = default;
Tokenizer::~Tokenizer() = default;

Tokenizer Tokenizer::from_json(const json& tj, const json& config, std::string_view what) {
  Tokenizer t;
  Impl& m = *t.impl_;
  if (!tj.is_object()) fail("{}: must be a JSON object", what);
  if (!tj.contains("model")) fail("{}: no 'model'", what);
  m.model = tok::BpeModel::from_json(tj["model"], fmt::format("{}: model", what));
  if (tj.contains("normalizer") && !tj["normalizer"].is_null()) {
    m.normalizer = tok::Normalizer::from_json(tj["normalizer"], fmt::format("{}: normalizer", what));
  }
  if (tj.contains("pre_tokenizer") && !tj["pre_tokenizer"].is_null()) {
    m.pre_tokenizer =
        tok::PreTokenizer::from_json(tj["pre_tokenizer"], fmt::format("{}: pre_tokenizer", what));
    m.byte_level = m.pre_tokenizer->byte_level();
  }
  if (tj.contains("decoder") && !tj["decoder"].is_null()) {
    m.decoder = tok::Decoder::from_json(tj["decoder"], fmt::format("{}: decoder", what));
  }

  // Added tokens.
  std::vector<tok::AddedToken> added;
  int32_t max_id = m.model.id_end() - 1;
  if (tj.contains("added_tokens") && !tj["added_tokens"].is_null()) {
    const json& list = tj["added_tokens"];
    if (!list.is_array()) fail("{}: 'added_tokens' must be an array", what);
    for (size_t i = 0; i < list.size(); ++i) {
      const json& a = list[i];
      const std::string w = fmt::format("{}: added_tokens[{}]", what, i);
      if (!a.is_object() || !a.contains("content") || !a["content"].is_string() ||
          !a.contains("id") || !a["id"].is_number_integer()) {
        fail("{}: needs 'id' (integer) and 'content' (string)", w);
      }
      tok::AddedToken tk;
      tk.content = a["content"].get<std::string>();
      if (tk.content.empty()) fail("{}: empty 'content'", w);
      if (tok::valid_utf8_prefix(tk.content) != tk.content.size()) fail("{}: not UTF-8", w);
      const int64_t id = a["id"].get<int64_t>();
      if (id < 0 || id >= tok::kMaxTokenId) fail("{}: id {} out of range", w, id);
      tk.id = static_cast<int32_t>(id);
      tk.special = flag(a, "special", false, w);
      tk.lstrip = flag(a, "lstrip", false, w);
      tk.rstrip = flag(a, "rstrip", false, w);
      tk.single_word = flag(a, "single_word", false, w);
      tk.normalized = flag(a, "normalized", !tk.special, w);
      max_id = std::max(max_id, tk.id);
      added.push_back(std::move(tk));
    }
  }
  m.vocab_size = static_cast<size_t>(max_id + 1);
  m.added_by_id.assign(m.vocab_size, nullptr);
  m.special_by_id.assign(m.vocab_size, 0);
  m.added = tok::AddedTokens(std::move(added), m.normalizer.get());
  for (const auto& a : m.added.tokens()) {
    m.added_by_id[static_cast<size_t>(a.id)] = &a.piece;
    m.special_by_id[static_cast<size_t>(a.id)] = a.special ? 1 : 0;
    m.added_ids.emplace(a.content, a.id);
  }

  // Special tokens and templates of tokenizer_config.json.
  const std::string cwhat = fmt::format("{} (tokenizer_config.json)", what);
  auto lookup = [&](const std::optional<std::string>& s, const char* key) -> std::optional<int32_t> {
    if (!s) return std::nullopt;
    auto id = t.token_id(*s);
    if (!id) fail("{}: {} '{}' is not a token of the vocabulary", cwhat, key, *s);
    return id;
  };
  m.bos = lookup(config_token(config, "bos_token", cwhat), "bos_token");
  if (auto e = lookup(config_token(config, "eos_token", cwhat), "eos_token")) m.eos.push_back(*e);
  if (config.is_object() && config.contains("chat_template")) {
    const json& ct = config["chat_template"];
    if (ct.is_string()) {
      m.chat_template = ct.get<std::string>();
    } else if (ct.is_array()) {
      for (const json& e : ct) {
        if (e.is_object() && e.contains("name") && e["name"] == "default" && e.contains("template") &&
            e["template"].is_string()) {
          m.chat_template = e["template"].get<std::string>();
        }
      }
    }
  }

  m.post = tok::PostProcessor::from_json(
      tj.contains("post_processor") ? tj["post_processor"] : json(),
      fmt::format("{}: post_processor", what),
      [&](std::string_view s) { return t.token_id(s); });
  // transformers rebuilds the template of Llama-family tokenizers from add_bos_token /
  // add_eos_token (LlamaTokenizerFast.update_post_processor).
  if (config.is_object() && (config.contains("add_bos_token") || config.contains("add_eos_token"))) {
    const std::string cls = json_value_or(config, "tokenizer_class", std::string(), cwhat);
    if (cls.starts_with("Llama") || cls.starts_with("CodeLlama") || cls.starts_with("Gemma")) {
      tok::PostProcessor p;
      if (flag(config, "add_bos_token", true, cwhat)) {
        if (!m.bos) fail("{}: add_bos_token is true but there is no bos_token", cwhat);
        p.prefix.push_back(*m.bos);
      }
      if (flag(config, "add_eos_token", false, cwhat)) {
        if (m.eos.empty()) fail("{}: add_eos_token is true but there is no eos_token", cwhat);
        p.suffix.push_back(m.eos.front());
      }
      m.post = p;
    }
  }
  for (const auto* list : {&m.post.prefix, &m.post.suffix}) {
    for (int32_t id : *list) {
      if (id < 0 || static_cast<size_t>(id) >= m.vocab_size) {
        fail("{}: post_processor: special token id {} is outside the vocabulary", what, id);
      }
    }
  }
  return t;
}

Tokenizer Tokenizer::load(const std::filesystem::path& dir) {
  const auto tpath = dir / "tokenizer.json";
  if (!std::filesystem::exists(tpath)) {
    fail("{}: no tokenizer.json (a Hugging Face tokenizer directory is needed)", dir.string());
  }
  const json tj = read_json_file(tpath);
  json config;
  if (std::filesystem::exists(dir / "tokenizer_config.json")) {
    config = read_json_file(dir / "tokenizer_config.json");
    if (!config.is_object()) fail("{}: must be a JSON object", (dir / "tokenizer_config.json").string());
  }
  Tokenizer t = from_json(tj, config, tpath.string());
  if (auto tmpl = read_text_file(dir / "chat_template.jinja")) t.impl_->chat_template = *tmpl;
  const auto gpath = dir / "generation_config.json";
  if (std::filesystem::exists(gpath)) {
    const json g = read_json_file(gpath);
    if (g.is_object() && g.contains("eos_token_id")) {
      const json& e = g["eos_token_id"];
      std::vector<json> list = e.is_array() ? std::vector<json>(e.begin(), e.end())
                                            : std::vector<json>{e};
      for (const json& v : list) {
        if (!v.is_number_integer()) continue;
        const auto id = v.get<int64_t>();
        if (id < 0 || static_cast<size_t>(id) >= t.vocab_size()) {
          fail("{}: eos_token_id {} is outside the vocabulary", gpath.string(), id);
        }
        if (std::find(t.impl_->eos.begin(), t.impl_->eos.end(), id) == t.impl_->eos.end()) {
          t.impl_->eos.push_back(static_cast<int32_t>(id));
        }
      }
    }
  }
  return t;
}

void Tokenizer::Impl::encode_text(std::string_view text, const EncodeOptions& o,
                                  std::vector<int32_t>& ids) const {
  std::vector<tok::PreToken> words;
  std::string seg;
  tok::WordCache cache;
  tok::WordCache* use_cache = text.size() >= 512 ? &cache : nullptr;
  for (const tok::TextPiece& p : added.split(text, false, o.parse_special)) {
    if (p.id >= 0) {
      ids.push_back(p.id);
      continue;
    }
    seg.assign(text.substr(p.begin, p.end - p.begin));
    if (normalizer) normalizer->normalize(seg);
    std::vector<tok::TextPiece> sub;
    if (added.has_normalized()) {
      sub = added.split(seg, true, o.parse_special);
    } else if (!seg.empty()) {
      sub.push_back({0, seg.size(), -1});
    }
    for (const tok::TextPiece& q : sub) {
      if (q.id >= 0) {
        ids.push_back(q.id);
        continue;
      }
      words.clear();
      words.push_back({seg.substr(q.begin, q.end - q.begin), p.begin == 0 && q.begin == 0});
      if (pre_tokenizer) pre_tokenizer->pre_tokenize(words);
      for (const auto& w : words) model.tokenize(w.text, byte_level, ids, use_cache);
    }
  }
}

std::vector<int32_t> Tokenizer::encode(std::string_view text, const EncodeOptions& options) const {
  std::vector<int32_t> ids;
  ids.reserve(text.size() / 3 + 4);
  if (options.add_special) ids = impl_->post.prefix;
  if (tok::valid_utf8_prefix(text) == text.size()) {
    impl_->encode_text(text, options, ids);
  } else {
    impl_->encode_text(tok::sanitize_utf8(text), options, ids);
  }
  if (options.add_special) ids.insert(ids.end(), impl_->post.suffix.begin(), impl_->post.suffix.end());
  return ids;
}

std::string Tokenizer::decode(std::span<const int32_t> ids, bool skip_special) const {
  std::vector<std::string> tokens;
  tokens.reserve(ids.size());
  for (int32_t id : ids) {
    if (id < 0 || static_cast<size_t>(id) >= impl_->vocab_size) continue;
    if (skip_special && impl_->special_by_id[static_cast<size_t>(id)]) continue;
    if (const std::string* a = impl_->added_by_id[static_cast<size_t>(id)]) {
      tokens.push_back(*a);
    } else if (const std::string* p = impl_->model.token(id)) {
      tokens.push_back(*p);
    }
  }
  std::string out;
  if (impl_->decoder) {
    impl_->decoder->decode_chain(tokens);
    for (const auto& s : tokens) out += s;
  } else {
    for (size_t i = 0; i < tokens.size(); ++i) {
      if (i) out += ' ';
      out += tokens[i];
    }
  }
  if (tok::valid_utf8_prefix(out) != out.size()) out = tok::sanitize_utf8(out);
  return out;
}

std::string_view Tokenizer::piece(int32_t id) const {
  if (id < 0 || static_cast<size_t>(id) >= impl_->vocab_size) return {};
  if (const std::string* a = impl_->added_by_id[static_cast<size_t>(id)]) return *a;
  if (const std::string* p = impl_->model.token(id)) return *p;
  return {};
}

size_t Tokenizer::vocab_size() const { return impl_->vocab_size; }

std::optional<int32_t> Tokenizer::token_id(std::string_view token) const {
  auto it = impl_->added_ids.find(token);
  if (it != impl_->added_ids.end()) return it->second;
  return impl_->model.token_id(token);
}

std::optional<int32_t> Tokenizer::bos_id() const { return impl_->bos; }
std::vector<int32_t> Tokenizer::eos_ids() const { return impl_->eos; }
std::optional<std::string> Tokenizer::chat_template() const { return impl_->chat_template; }

bool Tokenizer::is_special(int32_t id) const {
  return id >= 0 && static_cast<size_t>(id) < impl_->vocab_size &&
         impl_->special_by_id[static_cast<size_t>(id)] != 0;
}

}  // namespace finefp8
