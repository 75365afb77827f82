#include "util/json_value.h"
#include "tokenizer/pre_tokenizers.h"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "tokenizer/regex.h"
#include "tokenizer/unicode.h"
#include "util/error.h"

namespace finefp8::tok {
namespace {

enum class Behavior { kRemoved, kIsolated, kMergedWithPrevious, kMergedWithNext, kContiguous };

struct Segment {
  size_t begin, end;
  bool is_match;
};

// The library's NormalizedString::split: matches and the gaps between them, then grouped
// according to the delimiter behaviour. Appends the non-empty results to `out`.
void split_by(const PreToken& piece, std::vector<Segment>& segs, Behavior behavior, bool invert,
              std::vector<PreToken>& out) {
  if (invert) {
    for (auto& s : segs) s.is_match = !s.is_match;
  }
  std::vector<Segment> groups;
  switch (behavior) {
    case Behavior::kIsolated:
      groups = segs;
      break;
    case Behavior::kRemoved:
      for (const auto& s : segs) {
        if (!s.is_match) groups.push_back(s);
      }
      break;
    case Behavior::kMergedWithPrevious: {
      bool previous_match = false;
      for (const auto& s : segs) {
        if (s.is_match && !previous_match && !groups.empty()) {
          groups.back().end = s.end;
        } else {
          groups.push_back(s);
        }
        previous_match = s.is_match;
      }
      break;
    }
    case Behavior::kMergedWithNext: {
      bool previous_match = false;
      for (size_t k = segs.size(); k-- > 0;) {
        const auto& s = segs[k];
        if (s.is_match && !previous_match && !groups.empty()) {
          groups.back().begin = s.begin;
        } else {
          groups.push_back(s);
        }
        previous_match = s.is_match;
      }
      std::reverse(groups.begin(), groups.end());
      break;
    }
    case Behavior::kContiguous: {
      bool previous_match = false;
      for (const auto& s : segs) {
        if (s.is_match == previous_match && !groups.empty()) {
          groups.back().end = s.end;
        } else {
          groups.push_back(s);
        }
        previous_match = s.is_match;
      }
      break;
    }
  }
  for (const auto& g : groups) {
    if (g.end > g.begin) {
      out.push_back({piece.text.substr(g.begin, g.end - g.begin), piece.at_start && g.begin == 0});
    }
  }
}

// Segments of `text`: regex matches and the gaps between them.
void regex_segments(const Regex& re, std::string_view text, std::vector<Segment>& segs) {
  segs.clear();
  size_t prev = 0;
  re.find_all(text, [&](size_t b, size_t e) {
    if (prev != b) segs.push_back({prev, b, false});
    segs.push_back({b, e, true});
    prev = e;
  });
  if (prev != text.size()) segs.push_back({prev, text.size(), false});
}

// Segments by a per-character predicate: each matching character is its own match.
template <typename Pred>
void char_segments(std::string_view text, Pred pred, std::vector<Segment>& segs) {
  segs.clear();
  size_t prev = 0, i = 0;
  while (i < text.size()) {
    const size_t b = i;
    const uint32_t cp = next_code_point(text, i);
    if (pred(cp)) {
      if (prev != b) segs.push_back({prev, b, false});
      segs.push_back({b, i, true});
      prev = i;
    }
  }
  if (prev != text.size()) segs.push_back({prev, text.size(), false});
}

Behavior parse_behavior(const nlohmann::json& j, std::string_view what) {
  const std::string b = json_value_or(j, "behavior", std::string("Isolated"), what);
  if (b == "Removed") return Behavior::kRemoved;
  if (b == "Isolated") return Behavior::kIsolated;
  if (b == "MergedWithPrevious") return Behavior::kMergedWithPrevious;
  if (b == "MergedWithNext") return Behavior::kMergedWithNext;
  if (b == "Contiguous") return Behavior::kContiguous;
  fail("{}: unknown split behavior '{}'", what, b);
}

class RegexSplit final : public PreTokenizer {
 public:
  RegexSplit(Regex re, Behavior b, bool invert) : re_(std::move(re)), b_(b), invert_(invert) {}
  void pre_tokenize(std::vector<PreToken>& pieces) const override {
    std::vector<PreToken> out;
    out.reserve(pieces.size() * 2);
    std::vector<Segment> segs;
    for (const auto& p : pieces) {
      regex_segments(re_, p.text, segs);
      split_by(p, segs, b_, invert_, out);
    }
    pieces = std::move(out);
  }
 private:
  Regex re_;
  Behavior b_;
  bool invert_;
};

constexpr std::string_view kGpt2Pattern =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";

class ByteLevel final : public PreTokenizer {
 public:
  ByteLevel(bool add_prefix_space, bool use_regex)
      : add_prefix_space_(add_prefix_space),
        re_(use_regex ? std::make_unique<Regex>(kGpt2Pattern, "ByteLevel") : nullptr) {}
  void pre_tokenize(std::vector<PreToken>& pieces) const override {
    if (add_prefix_space_) {
      for (auto& p : pieces) {
        if (!p.text.empty() && p.text[0] != ' ') p.text = " " + p.text;
      }
    }
    if (re_) {
      std::vector<PreToken> out;
      std::vector<Segment> segs;
      for (const auto& p : pieces) {
        regex_segments(*re_, p.text, segs);
        split_by(p, segs, Behavior::kIsolated, false, out);
      }
      pieces = std::move(out);
    }
  }
  bool byte_level() const override { return true; }
 private:
  bool add_prefix_space_;
  std::unique_ptr<Regex> re_;
};

class Metaspace final : public PreTokenizer {
 public:
  enum class Scheme { kAlways, kFirst, kNever };
  Metaspace(std::string replacement, Scheme scheme, bool split)
      : rep_(std::move(replacement)), scheme_(scheme), split_(split) {}
  void pre_tokenize(std::vector<PreToken>& pieces) const override {
    std::vector<PreToken> out;
    std::vector<Segment> segs;
    for (auto& p : pieces) {
      std::string t;
      for (char c : p.text) {
        if (c == ' ') t += rep_; else t += c;
      }
      const bool prepend = scheme_ == Scheme::kAlways || (scheme_ == Scheme::kFirst && p.at_start);
      if (prepend && !t.starts_with(rep_)) t.insert(0, rep_);
      p.text = std::move(t);
      if (!split_) {
        if (!p.text.empty()) out.push_back(std::move(p));
        continue;
      }
      segs.clear();
      size_t prev = 0;
      for (size_t at = p.text.find(rep_); at != std::string::npos; at = p.text.find(rep_, prev)) {
        if (prev != at) segs.push_back({prev, at, false});
        segs.push_back({at, at + rep_.size(), true});
        prev = at + rep_.size();
      }
      if (prev != p.text.size()) segs.push_back({prev, p.text.size(), false});
      split_by(p, segs, Behavior::kMergedWithNext, false, out);
    }
    pieces = std::move(out);
  }
 private:
  std::string rep_;
  Scheme scheme_;
  bool split_;
};

class WhitespaceSplit final : public PreTokenizer {
 public:
  void pre_tokenize(std::vector<PreToken>& pieces) const override {
    std::vector<PreToken> out;
    std::vector<Segment> segs;
    for (const auto& p : pieces) {
      char_segments(p.text, is_white_space, segs);
      split_by(p, segs, Behavior::kRemoved, false, out);
    }
    pieces = std::move(out);
  }
};

class Digits final : public PreTokenizer {
 public:
  explicit Digits(bool individual) : individual_(individual) {}
  void pre_tokenize(std::vector<PreToken>& pieces) const override {
    std::vector<PreToken> out;
    std::vector<Segment> segs;
    for (const auto& p : pieces) {
      regex_segments(digit_, p.text, segs);
      split_by(p, segs, individual_ ? Behavior::kIsolated : Behavior::kContiguous, false, out);
    }
    pieces = std::move(out);
  }
 private:
  bool individual_;
  Regex digit_{R"(\p{N})", "Digits"};
};

class Sequence final : public PreTokenizer {
 public:
  explicit Sequence(std::vector<std::unique_ptr<PreTokenizer>> parts) : parts_(std::move(parts)) {
    for (const auto& p : parts_) byte_level_ = byte_level_ || p->byte_level();
  }
  void pre_tokenize(std::vector<PreToken>& pieces) const override {
    for (const auto& p : parts_) p->pre_tokenize(pieces);
  }
  bool byte_level() const override { return byte_level_; }
 private:
  std::vector<std::unique_ptr<PreTokenizer>> parts_;
  bool byte_level_ = false;
};

bool get_bool(const nlohmann::json& j, const char* key, bool def, std::string_view what) {
  if (!j.contains(key) || j[key].is_null()) return def;
  if (!j[key].is_boolean()) fail("{}: '{}' must be true or false", what, key);
  return j[key].get<bool>();
}

}  // namespace

std::unique_ptr<PreTokenizer> PreTokenizer::from_json(const nlohmann::json& j,
                                                      std::string_view what) {
  if (!j.is_object() || !j.contains("type") || !j["type"].is_string()) {
    fail("{}: must be an object with a 'type'", what);
  }
  const std::string type = j["type"].get<std::string>();
  if (type == "Split") {
    const Behavior b = parse_behavior(j, what);
    const bool invert = get_bool(j, "invert", false, what);
    if (!j.contains("pattern") || !j["pattern"].is_object()) {
      fail("{}: Split needs 'pattern': {{\"Regex\": ...}} or {{\"String\": ...}}", what);
    }
    const auto& p = j["pattern"];
    if (p.contains("Regex") && p["Regex"].is_string()) {
      return std::make_unique<RegexSplit>(Regex(p["Regex"].get<std::string>(), what), b, invert);
    }
    if (p.contains("String") && p["String"].is_string()) {
      return std::make_unique<RegexSplit>(
          Regex(regex_escape(p["String"].get<std::string>()), what), b, invert);
    }
    fail("{}: Split needs 'pattern': {{\"Regex\": ...}} or {{\"String\": ...}}", what);
  }
  if (type == "ByteLevel") {
    return std::make_unique<ByteLevel>(get_bool(j, "add_prefix_space", true, what),
                                       get_bool(j, "use_regex", true, what));
  }
  if (type == "Metaspace") {
    std::string rep = json_value_or(j, "replacement", std::string("\xE2\x96\x81"), what);
    Metaspace::Scheme scheme = Metaspace::Scheme::kAlways;
    if (j.contains("prepend_scheme") && j["prepend_scheme"].is_string()) {
      const std::string s = j["prepend_scheme"].get<std::string>();
      if (s == "first") scheme = Metaspace::Scheme::kFirst;
      else if (s == "never") scheme = Metaspace::Scheme::kNever;
      else if (s != "always") fail("{}: unknown prepend_scheme '{}'", what, s);
    } else if (!get_bool(j, "add_prefix_space", true, what)) {
      scheme = Metaspace::Scheme::kNever;
    }
    return std::make_unique<Metaspace>(rep, scheme, get_bool(j, "split", true, what));
  }
  if (type == "Whitespace") {
    return std::make_unique<RegexSplit>(Regex(R"(\w+|[^\w\s]+)", what), Behavior::kRemoved, true);
  }
  if (type == "WhitespaceSplit") return std::make_unique<WhitespaceSplit>();
  if (type == "Digits") {
    return std::make_unique<Digits>(get_bool(j, "individual_digits", false, what));
  }
  if (type == "Sequence") {
    if (!j.contains("pretokenizers") || !j["pretokenizers"].is_array()) {
      fail("{}: Sequence needs a 'pretokenizers' array", what);
    }
    const NestingGuard guard(what);
    std::vector<std::unique_ptr<PreTokenizer>> parts;
    for (size_t i = 0; i < j["pretokenizers"].size(); ++i) {
      parts.push_back(
          from_json(j["pretokenizers"][i], fmt::format("{}.pretokenizers[{}]", what, i)));
    }
    return std::make_unique<Sequence>(std::move(parts));
  }
  fail("{}: pre-tokenizer type '{}' is not supported", what, type);
}

}  // namespace finefp8::tok
