#include "tokenizer/bpe_model.h"

#include <algorithm>
#include <bit>
#include <queue>

#include <nlohmann/json.hpp>

#include "tokenizer/byte_level.h"
#include "tokenizer/unicode.h"
#include "util/error.h"

namespace finefp8::tok {
namespace {

uint64_t pair_key(int32_t a, int32_t b) {
  return (static_cast<uint64_t>(static_cast<uint32_t>(a)) << 32) | static_cast<uint32_t>(b);
}

uint64_t mix(uint64_t x) {
  x ^= x >> 31;
  x *= 0x7fb5d329728ea185ULL;
  x ^= x >> 27;
  return x;
}

std::string optional_string(const nlohmann::json& j, const char* key, std::string_view what) {
  if (!j.contains(key) || j[key].is_null()) return {};
  if (!j[key].is_string()) fail("{}: '{}' must be a string or null", what, key);
  return j[key].get<std::string>();
}

bool optional_bool(const nlohmann::json& j, const char* key, std::string_view what) {
  if (!j.contains(key) || j[key].is_null()) return false;
  if (!j[key].is_boolean()) fail("{}: '{}' must be true or false", what, key);
  return j[key].get<bool>();
}

}  // namespace

void BpeModel::MergeTable::build(const std::vector<Entry>& entries) {
  size_t cap = std::bit_ceil(std::max<size_t>(16, entries.size() * 2));
  slots.assign(cap, Entry{});
  mask = cap - 1;
  for (const Entry& e : entries) {
    uint64_t h = mix(e.key) & mask;
    while (slots[h].key != ~uint64_t{0} && slots[h].key != e.key) h = (h + 1) & mask;
    slots[h] = e;  // a repeated pair keeps its last rank, as the library's HashMap does
  }
}

const BpeModel::MergeTable::Entry* BpeModel::MergeTable::find(int32_t a, int32_t b) const {
  const uint64_t key = pair_key(a, b);
  uint64_t h = mix(key) & mask;
  while (true) {
    const Entry& e = slots[h];
    if (e.key == key) return &e;
    if (e.key == ~uint64_t{0}) return nullptr;
    h = (h + 1) & mask;
  }
}

BpeModel BpeModel::from_json(const nlohmann::json& model, std::string_view what) {
  BpeModel m;
  if (!model.is_object()) fail("{}: must be an object", what);
  const std::string type = optional_string(model, "type", what);
  if (!type.empty() && type != "BPE") {
    fail("{}: model type '{}' is not supported (only BPE)", what, type);
  }
  if (model.contains("dropout") && !model["dropout"].is_null() &&
      !(model["dropout"].is_number() && model["dropout"].get<double>() == 0.0)) {
    fail("{}: BPE dropout is not supported for inference", what);
  }
  if (!model.contains("vocab") || !model["vocab"].is_object()) {
    fail("{}: 'vocab' must be an object of token -> id", what);
  }
  int32_t max_id = -1;
  for (const auto& [token, id] : model["vocab"].items()) {
    if (!id.is_number_integer() || id.get<int64_t>() < 0 || id.get<int64_t>() >= kMaxTokenId) {
      fail("{}: vocab entry '{}' has no valid id", what, token);
    }
    if (valid_utf8_prefix(token) != token.size()) {
      fail("{}: vocab entry with id {} is not valid UTF-8", what, id.get<int64_t>());
    }
    const auto i = static_cast<int32_t>(id.get<int64_t>());
    m.vocab_.insert_or_assign(token, i);
    max_id = std::max(max_id, i);
  }
  m.id_to_token_.assign(static_cast<size_t>(max_id + 1), nullptr);
  for (const auto& [token, id] : m.vocab_) m.id_to_token_[static_cast<size_t>(id)] = &token;

  m.prefix_ = optional_string(model, "continuing_subword_prefix", what);
  m.suffix_ = optional_string(model, "end_of_word_suffix", what);
  m.fuse_unk_ = optional_bool(model, "fuse_unk", what);
  m.byte_fallback_ = optional_bool(model, "byte_fallback", what);
  m.ignore_merges_ = optional_bool(model, "ignore_merges", what);
  const std::string unk = optional_string(model, "unk_token", what);
  if (!unk.empty()) {
    auto it = m.vocab_.find(unk);
    if (it == m.vocab_.end()) fail("{}: unk_token '{}' is not in the vocab", what, unk);
    m.unk_id_ = it->second;
  }

  m.bmp_ids_.assign(0x10000, -1);
  for (const auto& [token, id] : m.vocab_) {
    size_t i = 0;
    if (token.empty()) continue;
    const uint32_t cp = next_code_point(token, i);
    if (i == token.size() && cp < 0x10000) m.bmp_ids_[cp] = id;
  }
  m.all_fallback_ = true;
  for (int b = 0; b < 256; ++b) {
    auto it = m.vocab_.find(fmt::format("<0x{:02X}>", b));
    m.fallback_ids_[static_cast<size_t>(b)] = it == m.vocab_.end() ? -1 : it->second;
    if (it == m.vocab_.end()) m.all_fallback_ = false;
  }

  constexpr std::string_view kMeta = "\xE2\x96\x81";
  m.cut_before_metaspace_ = m.vocab_.contains(kMeta) && m.prefix_.empty() && m.suffix_.empty();
  for (const auto& [token, id] : m.vocab_) {
    if (!m.cut_before_metaspace_) break;
    for (size_t at = token.find(kMeta, 1); at != std::string::npos; at = token.find(kMeta, at + 1)) {
      if (at < kMeta.size() || token.compare(at - kMeta.size(), kMeta.size(), kMeta) != 0) {
        m.cut_before_metaspace_ = false;
        break;
      }
    }
  }

  std::vector<MergeTable::Entry> entries;
  if (model.contains("merges") && !model["merges"].is_null()) {
    const auto& merges = model["merges"];
    if (!merges.is_array()) fail("{}: 'merges' must be an array", what);
    entries.reserve(merges.size());
    std::string a, b;
    for (size_t r = 0; r < merges.size(); ++r) {
      const auto& mj = merges[r];
      if (mj.is_string()) {
        const std::string& s = mj.get_ref<const std::string&>();
        const size_t sp = s.find(' ');
        if (sp == std::string::npos || s.find(' ', sp + 1) != std::string::npos) {
          fail("{}: merges[{}] '{}' is not two tokens separated by one space", what, r, s);
        }
        a = s.substr(0, sp);
        b = s.substr(sp + 1);
      } else if (mj.is_array() && mj.size() == 2 && mj[0].is_string() && mj[1].is_string()) {
        a = mj[0].get<std::string>();
        b = mj[1].get<std::string>();
      } else {
        fail("{}: merges[{}] must be \"A B\" or [\"A\", \"B\"]", what, r);
      }
      auto ia = m.vocab_.find(a), ib = m.vocab_.find(b);
      if (ia == m.vocab_.end() || ib == m.vocab_.end()) {
        fail("{}: merges[{}] uses a token that is not in the vocab ('{}' '{}')", what, r, a, b);
      }
      std::string joined = a;
      joined += (!m.prefix_.empty() && b.starts_with(m.prefix_)) ? b.substr(m.prefix_.size()) : b;
      auto in = m.vocab_.find(joined);
      if (in == m.vocab_.end()) {
        fail("{}: merges[{}] makes '{}', which is not in the vocab", what, r, joined);
      }
      entries.push_back({pair_key(ia->second, ib->second), static_cast<int32_t>(r), in->second});
    }
  }
  m.merges_.build(entries);
  return m;
}

std::optional<int32_t> BpeModel::token_id(std::string_view token) const {
  auto it = vocab_.find(token);
  if (it == vocab_.end()) return std::nullopt;
  return it->second;
}

const std::string* BpeModel::token(int32_t id) const {
  if (id < 0 || id >= id_end()) return nullptr;
  return id_to_token_[static_cast<size_t>(id)];
}

int32_t BpeModel::char_id(std::string_view ch, bool first, bool last) const {
  if ((first || prefix_.empty()) && (!last || suffix_.empty())) {
    size_t i = 0;
    const uint32_t cp = next_code_point(ch, i);
    if (cp < 0x10000) return bmp_ids_[cp];
    auto it = vocab_.find(ch);
    return it == vocab_.end() ? -1 : it->second;
  }
  std::string s;
  if (!first) s = prefix_;
  s += ch;
  if (last) s += suffix_;
  auto it = vocab_.find(s);
  return it == vocab_.end() ? -1 : it->second;
}

void BpeModel::tokenize(std::string_view word, bool byte_level, std::vector<int32_t>& out,
                        WordCache* cache) const {
  if (word.empty()) return;
  if (cache != nullptr) {
    auto it = cache->find(word);
    if (it != cache->end()) {
      out.insert(out.end(), it->second.begin(), it->second.end());
      return;
    }
  }
  const size_t first_out = out.size();
  std::string mapped;
  std::string_view text = word;
  if (byte_level) {
    mapped.reserve(word.size() * 2);
    append_byte_level(mapped, word);
    text = mapped;
  }
  auto it = ignore_merges_ ? vocab_.find(text) : vocab_.end();
  if (it != vocab_.end()) {
    out.push_back(it->second);
    return;  // as cheap as the cache
  } else if (cut_before_metaspace_ && !byte_level && text.size() > 64) {
    constexpr std::string_view kMeta = "\xE2\x96\x81";
    auto piece = [&](std::string_view p) {
      if (cache != nullptr) {
        auto c = cache->find(p);
        if (c != cache->end()) {
          out.insert(out.end(), c->second.begin(), c->second.end());
          return;
        }
      }
      const size_t from = out.size();
      tokenize_chunk(p, out);
      if (cache != nullptr && p.size() <= 256) {
        cache->emplace(std::string(p), std::vector<int32_t>(
                                           out.begin() + static_cast<std::ptrdiff_t>(from), out.end()));
      }
    };
    size_t begin = 0;
    for (size_t at = text.find(kMeta, 1); at != std::string::npos; at = text.find(kMeta, at + 1)) {
      if (text.compare(at - kMeta.size(), kMeta.size(), kMeta) == 0) continue;  // a "▁" run
      piece(text.substr(begin, at - begin));
      begin = at;
    }
    piece(text.substr(begin));
    return;  // the pieces were cached one by one
  } else {
    tokenize_chunk(text, out);
  }
  if (cache != nullptr && word.size() <= 256) {
    cache->emplace(std::string(word), std::vector<int32_t>(out.begin() + static_cast<std::ptrdiff_t>(first_out), out.end()));
  }
}

void BpeModel::tokenize_chunk(std::string_view text, std::vector<int32_t>& out) const {
  thread_local std::vector<int32_t> ids;
  ids.clear();
  // Initial symbols: one per character, or byte fallback / unk for characters not in the vocab.
  int32_t pending_unk = -1;
  size_t i = 0;
  while (i < text.size()) {
    const size_t start = i;
    i += utf8_seq_len(static_cast<unsigned char>(text[i]));
    const std::string_view ch = text.substr(start, i - start);
    const int32_t id = char_id(ch, start == 0, i == text.size());
    if (id >= 0) {
      if (pending_unk >= 0) {
        ids.push_back(pending_unk);
        pending_unk = -1;
      }
      ids.push_back(id);
      continue;
    }
    if (byte_fallback_) {
      // The library looks up <0xNN> for each byte of the (prefixed) character string.
      std::string s;
      if (start != 0) s = prefix_;
      s += ch;
      if (i == text.size()) s += suffix_;
      bool all = true;
      for (char c : s) all = all && fallback_ids_[static_cast<uint8_t>(c)] >= 0;
      if (all) {
        for (char c : s) ids.push_back(fallback_ids_[static_cast<uint8_t>(c)]);
        continue;
      }
    }
    if (unk_id_) {
      if (pending_unk >= 0 && !fuse_unk_) ids.push_back(pending_unk);
      pending_unk = *unk_id_;
    }
  }
  if (pending_unk >= 0) ids.push_back(pending_unk);
  merge(ids);
  out.insert(out.end(), ids.begin(), ids.end());
}

void BpeModel::merge(std::vector<int32_t>& ids) const {
  const size_t n = ids.size();
  if (n < 2) return;
  struct Candidate {
    int32_t rank;
    int32_t pos;
    int32_t new_id;
    bool operator>(const Candidate& o) const {
      return rank != o.rank ? rank > o.rank : pos > o.pos;
    }
  };
  thread_local std::vector<int32_t> prev, next;
  thread_local std::vector<Candidate> heap;
  prev.resize(n);
  next.resize(n);
  heap.clear();
  for (size_t k = 0; k < n; ++k) {
    prev[k] = static_cast<int32_t>(k) - 1;
    next[k] = k + 1 < n ? static_cast<int32_t>(k + 1) : -1;
  }
  const auto push = [&](int32_t pos) {
    const int32_t nx = next[static_cast<size_t>(pos)];
    if (nx < 0) return;
    if (const auto* e = merges_.find(ids[static_cast<size_t>(pos)], ids[static_cast<size_t>(nx)])) {
      heap.push_back({e->rank, pos, e->new_id});
      std::push_heap(heap.begin(), heap.end(), std::greater<>{});
    }
  };
  for (size_t k = 0; k + 1 < n; ++k) push(static_cast<int32_t>(k));
  constexpr int32_t kGone = -2;
  while (!heap.empty()) {
    std::pop_heap(heap.begin(), heap.end(), std::greater<>{});
    const Candidate c = heap.back();
    heap.pop_back();
    const auto p = static_cast<size_t>(c.pos);
    if (ids[p] == kGone || next[p] < 0) continue;
    const auto q = static_cast<size_t>(next[p]);
    const auto* e = merges_.find(ids[p], ids[q]);
    if (e == nullptr || e->new_id != c.new_id) continue;  // stale: a neighbour merged first
    ids[p] = c.new_id;
    ids[q] = kGone;
    next[p] = next[q];
    if (next[q] >= 0) prev[static_cast<size_t>(next[q])] = static_cast<int32_t>(p);
    if (prev[p] >= 0) push(prev[p]);
    push(static_cast<int32_t>(p));
  }
  size_t w = 0;
  for (size_t k = 0; k < n; ++k) {
    if (ids[k] != kGone) ids[w++] = ids[k];
  }
  ids.resize(w);
}

}  // namespace finefp8::tok
