#include "util/json_value.h"
#include "tokenizer/decoders.h"

#include <optional>

#include <nlohmann/json.hpp>

#include "tokenizer/byte_level.h"
#include "tokenizer/regex.h"
#include "tokenizer/unicode.h"
#include "util/error.h"

namespace finefp8::tok {
namespace {

constexpr std::string_view kReplacementChar = "\xEF\xBF\xBD";

// Bytes of the byte-level tokens (a token with a character outside the alphabet is taken
// as its own UTF-8), made valid UTF-8 the way Rust's from_utf8_lossy does.
class ByteLevel final : public Decoder {
 public:
  void decode_chain(std::vector<std::string>& tokens) const override {
    std::string bytes;
    for (const auto& t : tokens) {
      if (auto raw = byte_level_to_bytes(t)) bytes += *raw; else bytes += t;
    }
    tokens.assign(1, sanitize_utf8(bytes));
  }
};

class Replace final : public Decoder {
 public:
  Replace(std::string literal, std::optional<Regex> regex, std::string content)
      : literal_(std::move(literal)), regex_(std::move(regex)), content_(std::move(content)) {}
  void decode_chain(std::vector<std::string>& tokens) const override {
    for (auto& t : tokens) {
      std::string out;
      size_t last = 0;
      if (regex_) {
        regex_->find_all(t, [&](size_t b, size_t e) {
          out.append(t, last, b - last);
          out += content_;
          last = e;
        });
      } else if (!literal_.empty()) {
        for (size_t at = t.find(literal_); at != std::string::npos; at = t.find(literal_, last)) {
          out.append(t, last, at - last);
          out += content_;
          last = at + literal_.size();
        }
      }
      out.append(t, last, std::string::npos);
      t = std::move(out);
    }
  }
 private:
  std::string literal_;
  std::optional<Regex> regex_;
  std::string content_;
};

std::optional<uint8_t> fallback_byte(std::string_view t) {
  if (t.size() != 6 || !t.starts_with("<0x") || t[5] != '>') return std::nullopt;
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  const int hi = hex(t[3]), lo = hex(t[4]);
  if (hi < 0 || lo < 0) return std::nullopt;
  return static_cast<uint8_t>(hi * 16 + lo);
}

// Runs of <0xNN> tokens become their UTF-8 text, or one U+FFFD per byte when not valid UTF-8.
class ByteFallback final : public Decoder {
 public:
  void decode_chain(std::vector<std::string>& tokens) const override {
    std::vector<std::string> out;
    std::string pending;
    size_t pending_count = 0;
    auto flush = [&] {
      if (pending_count == 0) return;
      if (valid_utf8_prefix(pending) == pending.size()) {
        out.push_back(pending);
      } else {
        for (size_t k = 0; k < pending_count; ++k) out.emplace_back(kReplacementChar);
      }
      pending.clear();
      pending_count = 0;
    };
    for (auto& t : tokens) {
      if (auto b = fallback_byte(t)) {
        pending += static_cast<char>(*b);
        ++pending_count;
      } else {
        flush();
        out.push_back(std::move(t));
      }
    }
    flush();
    tokens = std::move(out);
  }
};

class Fuse final : public Decoder {
 public:
  void decode_chain(std::vector<std::string>& tokens) const override {
    std::string all;
    for (const auto& t : tokens) all += t;
    tokens.assign(1, std::move(all));
  }
};

// Removes up to `start` leading and `stop` trailing `content` characters of every token.
class Strip final : public Decoder {
 public:
  Strip(std::string content, size_t start, size_t stop)
      : content_(std::move(content)), start_(start), stop_(stop) {}
  void decode_chain(std::vector<std::string>& tokens) const override {
    for (auto& t : tokens) {
      size_t b = 0, e = t.size();
      for (size_t k = 0; k < start_ && b < e && t.compare(b, content_.size(), content_) == 0; ++k) {
        b += content_.size();
      }
      for (size_t k = 0; k < stop_ && e >= b + content_.size() &&
                         t.compare(e - content_.size(), content_.size(), content_) == 0;
           ++k) {
        e -= content_.size();
      }
      t = t.substr(b, e - b);
    }
  }
 private:
  std::string content_;
  size_t start_, stop_;
};

class Metaspace final : public Decoder {
 public:
  Metaspace(std::string rep, bool strip_first) : rep_(std::move(rep)), strip_first_(strip_first) {}
  void decode_chain(std::vector<std::string>& tokens) const override {
    for (size_t i = 0; i < tokens.size(); ++i) {
      std::string& t = tokens[i];
      std::string out;
      size_t last = 0;
      for (size_t at = t.find(rep_); at != std::string::npos; at = t.find(rep_, last)) {
        out.append(t, last, at - last);
        if (!(i == 0 && strip_first_)) out += ' ';
        last = at + rep_.size();
      }
      out.append(t, last, std::string::npos);
      t = std::move(out);
    }
  }
 private:
  std::string rep_;
  bool strip_first_;
};

class Sequence final : public Decoder {
 public:
  explicit Sequence(std::vector<std::unique_ptr<Decoder>> parts) : parts_(std::move(parts)) {}
  void decode_chain(std::vector<std::string>& tokens) const override {
    for (const auto& p : parts_) p->decode_chain(tokens);
  }
 private:
  std::vector<std::unique_ptr<Decoder>> parts_;
};

std::string get_string(const nlohmann::json& j, const char* key, std::string_view what) {
  if (!j.contains(key) || !j[key].is_string()) fail("{}: '{}' must be a string", what, key);
  return j[key].get<std::string>();
}

size_t get_count(const nlohmann::json& j, const char* key, std::string_view what) {
  if (!j.contains(key)) return 0;
  if (!j[key].is_number_unsigned()) fail("{}: '{}' must be a non-negative integer", what, key);
  return j[key].get<size_t>();
}

}  // namespace

std::unique_ptr<Decoder> Decoder::from_json(const nlohmann::json& j, std::string_view what) {
  if (!j.is_object()) fail("{}: must be an object", what);
  const std::string type = get_string(j, "type", what);
  if (type == "ByteLevel") return std::make_unique<ByteLevel>();
  if (type == "ByteFallback") return std::make_unique<ByteFallback>();
  if (type == "Fuse") return std::make_unique<Fuse>();
  if (type == "Strip") {
    return std::make_unique<Strip>(get_string(j, "content", what), get_count(j, "start", what),
                                   get_count(j, "stop", what));
  }
  if (type == "Replace") {
    const std::string content = get_string(j, "content", what);
    const auto& p = j.contains("pattern") ? j["pattern"] : nlohmann::json();
    if (p.is_object() && p.contains("String") && p["String"].is_string()) {
      return std::make_unique<Replace>(p["String"].get<std::string>(), std::nullopt, content);
    }
    if (p.is_object() && p.contains("Regex") && p["Regex"].is_string()) {
      return std::make_unique<Replace>("", Regex(p["Regex"].get<std::string>(), what), content);
    }
    fail("{}: Replace needs 'pattern': {{\"String\": ...}} or {{\"Regex\": ...}}", what);
  }
  if (type == "Metaspace") {
    std::string rep = json_value_or(j, "replacement", std::string("\xE2\x96\x81"), what);
    bool strip_first = true;
    if (j.contains("prepend_scheme") && j["prepend_scheme"].is_string()) {
      strip_first = j["prepend_scheme"].get<std::string>() != "never";
    } else if (j.contains("add_prefix_space") && j["add_prefix_space"].is_boolean()) {
      strip_first = j["add_prefix_space"].get<bool>();
    }
    return std::make_unique<Metaspace>(rep, strip_first);
  }
  if (type == "Sequence") {
    if (!j.contains("decoders") || !j["decoders"].is_array()) {
      fail("{}: Sequence needs a 'decoders' array", what);
    }
    const NestingGuard guard(what);
    std::vector<std::unique_ptr<Decoder>> parts;
    for (size_t i = 0; i < j["decoders"].size(); ++i) {
      parts.push_back(from_json(j["decoders"][i], fmt::format("{}.decoders[{}]", what, i)));
    }
    return std::make_unique<Sequence>(std::move(parts));
  }
  fail("{}: decoder type '{}' is not supported", what, type);
}

}  // namespace finefp8::tok
