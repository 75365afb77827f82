#include "tokenizer/added_tokens.h"

#include <algorithm>

#include <utf8proc.h>

#include "tokenizer/normalizers.h"
#include "tokenizer/unicode.h"

namespace finefp8::tok {
namespace {

// Rust regex \w: alphanumeric, marks, connector punctuation (incl. '_'), decimal digits.
bool is_word_char(uint32_t cp) {
  if (cp == '_' || is_alphanumeric(cp)) return true;
  if (cp < 0x80) return false;
  switch (utf8proc_category(static_cast<utf8proc_int32_t>(cp))) {
    case UTF8PROC_CATEGORY_MN: case UTF8PROC_CATEGORY_MC: case UTF8PROC_CATEGORY_ME:
    case UTF8PROC_CATEGORY_PC:
      return true;
    default:
      return false;
  }
}

uint32_t last_code_point(std::string_view s, size_t end, size_t* start) {
  size_t b = end - 1;
  while (b > 0 && (static_cast<unsigned char>(s[b]) & 0xC0) == 0x80) --b;
  size_t i = b;
  if (start) *start = b;
  return next_code_point(s, i);
}

}  // namespace

void AddedTokens::Trie::insert(std::string_view key, int32_t token) {
  if (key.empty()) return;
  if (nodes.empty()) nodes.emplace_back();
  first[static_cast<uint8_t>(key[0])] = true;
  int32_t n = 0;
  for (char ch : key) {
    const auto c = static_cast<uint8_t>(ch);
    auto& nx = nodes[static_cast<size_t>(n)].next;
    auto it = std::find_if(nx.begin(), nx.end(), [&](const auto& p) { return p.first == c; });
    if (it != nx.end()) {
      n = it->second;
    } else {
      const auto fresh = static_cast<int32_t>(nodes.size());
      nodes[static_cast<size_t>(n)].next.emplace_back(c, fresh);
      nodes.emplace_back();
      n = fresh;
    }
  }
  // The first token listed wins a duplicate content.
  if (nodes[static_cast<size_t>(n)].token < 0) nodes[static_cast<size_t>(n)].token = token;
}

std::pair<size_t, int32_t> AddedTokens::Trie::longest(std::string_view text, size_t pos) const {
  std::pair<size_t, int32_t> best{0, -1};
  int32_t n = 0;
  for (size_t i = pos; i < text.size(); ++i) {
    const auto c = static_cast<uint8_t>(text[i]);
    const auto& nx = nodes[static_cast<size_t>(n)].next;
    auto it = std::find_if(nx.begin(), nx.end(), [&](const auto& p) { return p.first == c; });
    if (it == nx.end()) break;
    n = it->second;
    if (nodes[static_cast<size_t>(n)].token >= 0) best = {i + 1 - pos, nodes[static_cast<size_t>(n)].token};
  }
  return best;
}

AddedTokens::AddedTokens(std::vector<AddedToken> tokens, const Normalizer* normalizer)
    : tokens_(std::move(tokens)) {
  for (size_t k = 0; k < tokens_.size(); ++k) {
    AddedToken& t = tokens_[k];
    t.piece = t.content;
    if (t.normalized && normalizer != nullptr) {
      normalizer->normalize(t.piece);
      normalized_.insert(t.piece, static_cast<int32_t>(k));
    } else if (t.normalized) {
      normalized_.insert(t.content, static_cast<int32_t>(k));
    } else {
      raw_.insert(t.content, static_cast<int32_t>(k));
    }
  }
}

std::vector<TextPiece> AddedTokens::split(std::string_view text, bool normalized_pass,
                                          bool parse_special) const {
  const Trie& trie = normalized_pass ? normalized_ : raw_;
  std::vector<TextPiece> out;
  if (trie.nodes.empty()) {
    if (!text.empty()) out.push_back({0, text.size(), -1});
    return out;
  }
  size_t start_offset = 0;  // end of the last piece emitted
  size_t pos = 0;           // where the next search starts (the end of the last match)
  while (pos < text.size()) {
    if (!trie.first[static_cast<uint8_t>(text[pos])]) {
      ++pos;
      continue;
    }
    const auto [len, index] = trie.longest(text, pos);
    if (index < 0) {
      ++pos;
      continue;
    }
    size_t start = pos, stop = pos + len;
    pos = stop;
    const AddedToken& t = tokens_[static_cast<size_t>(index)];
    if (t.special && !parse_special) continue;
    if (t.single_word) {
      bool start_space = start == 0 || !is_word_char(last_code_point(text, start, nullptr));
      bool stop_space = true;
      if (stop < text.size()) {
        size_t i = stop;
        stop_space = !is_word_char(next_code_point(text, i));
      }
      if (!start_space || !stop_space) continue;
    }
    if (t.lstrip) {
      size_t s = start;
      while (s > 0) {
        size_t b;
        if (!is_white_space(last_code_point(text, s, &b))) break;
        s = b;
      }
      start = std::max(s, start_offset);
    }
    if (t.rstrip) {
      while (stop < text.size()) {
        size_t i = stop;
        if (!is_white_space(next_code_point(text, i))) break;
        stop = i;
      }
    }
    start = std::max(start, start_offset);
    if (start_offset < start) out.push_back({start_offset, start, -1});
    out.push_back({start, stop, t.id});
    start_offset = stop;
  }
  if (start_offset < text.size()) out.push_back({start_offset, text.size(), -1});
  return out;
}

}  // namespace finefp8::tok
