#include "util/json_value.h"
#include "tokenizer/normalizers.h"

#include <optional>

#include <nlohmann/json.hpp>

#include "tokenizer/unicode.h"
#include "tokenizer/regex.h"
#include "util/error.h"

namespace finefp8::tok {
namespace {

std::string get_string(const nlohmann::json& j, const char* key, std::string_view what) {
  if (!j.contains(key) || !j[key].is_string()) fail("{}: '{}' must be a string", what, key);
  return j[key].get<std::string>();
}

class UnicodeForm final : public Normalizer {
 public:
  explicit UnicodeForm(NormalForm f) : form_(f) {}
  void normalize(std::string& text) const override { text = normalize_unicode(text, form_); }
 private:
  NormalForm form_;
};

class Lowercase final : public Normalizer {
 public:
  void normalize(std::string& text) const override { text = lowercase(text); }
};

class Strip final : public Normalizer {
 public:
  Strip(bool left, bool right) : left_(left), right_(right) {}
  void normalize(std::string& text) const override {
    size_t b = 0, e = text.size();
    if (left_) {
      while (b < e) {
        size_t i = b;
        if (!is_white_space(next_code_point(text, i))) break;
        b = i;
      }
    }
    if (right_) {
      while (e > b) {
        size_t s = e - 1;
        while (s > b && (static_cast<unsigned char>(text[s]) & 0xC0) == 0x80) --s;
        size_t i = s;
        if (!is_white_space(next_code_point(text, i))) break;
        e = s;
      }
    }
    text = text.substr(b, e - b);
  }
 private:
  bool left_, right_;
};

class Prepend final : public Normalizer {
 public:
  explicit Prepend(std::string p) : prepend_(std::move(p)) {}
  void normalize(std::string& text) const override {
    if (!text.empty()) text.insert(0, prepend_);
  }
 private:
  std::string prepend_;
};

class Replace final : public Normalizer {
 public:
  Replace(std::string literal, std::optional<Regex> regex, std::string content)
      : literal_(std::move(literal)), regex_(std::move(regex)), content_(std::move(content)) {}
  void normalize(std::string& text) const override {
    std::string out;
    size_t last = 0;
    if (regex_) {
      regex_->find_all(text, [&](size_t b, size_t e) {
        out.append(text, last, b - last);
        out += content_;
        last = e;
      });
    } else {
      if (literal_.empty() || text.find(literal_) == std::string::npos) return;
      for (size_t at = text.find(literal_); at != std::string::npos;
           at = text.find(literal_, last)) {
        out.append(text, last, at - last);
        out += content_;
        last = at + literal_.size();
      }
    }
    out.append(text, last, std::string::npos);
    text = std::move(out);
  }
 private:
  std::string literal_;
  std::optional<Regex> regex_;
  std::string content_;
};

class Sequence final : public Normalizer {
 public:
  explicit Sequence(std::vector<std::unique_ptr<Normalizer>> parts) : parts_(std::move(parts)) {}
  void normalize(std::string& text) const override {
    for (const auto& p : parts_) p->normalize(text);
  }
 private:
  std::vector<std::unique_ptr<Normalizer>> parts_;
};

}  // namespace

std::unique_ptr<Normalizer> Normalizer::from_json(const nlohmann::json& j, std::string_view what) {
  if (!j.is_object()) fail("{}: must be an object", what);
  const std::string type = get_string(j, "type", what);
  if (type == "NFC") return std::make_unique<UnicodeForm>(NormalForm::kNFC);
  if (type == "NFD") return std::make_unique<UnicodeForm>(NormalForm::kNFD);
  if (type == "NFKC") return std::make_unique<UnicodeForm>(NormalForm::kNFKC);
  if (type == "NFKD") return std::make_unique<UnicodeForm>(NormalForm::kNFKD);
  if (type == "Lowercase") return std::make_unique<Lowercase>();
  if (type == "Strip") {
    return std::make_unique<Strip>(json_value_or(j, "strip_left", true, what), json_value_or(j, "strip_right", true, what));
  }
  if (type == "Prepend") return std::make_unique<Prepend>(get_string(j, "prepend", what));
  if (type == "Replace") {
    const std::string content = get_string(j, "content", what);
    if (!j.contains("pattern") || !j["pattern"].is_object()) {
      fail("{}: Replace needs 'pattern': {{\"String\": ...}} or {{\"Regex\": ...}}", what);
    }
    const auto& p = j["pattern"];
    if (p.contains("String") && p["String"].is_string()) {
      return std::make_unique<Replace>(p["String"].get<std::string>(), std::nullopt, content);
    }
    if (p.contains("Regex") && p["Regex"].is_string()) {
      return std::make_unique<Replace>("", Regex(p["Regex"].get<std::string>(), what), content);
    }
    fail("{}: Replace needs 'pattern': {{\"String\": ...}} or {{\"Regex\": ...}}", what);
  }
  if (type == "Sequence") {
    if (!j.contains("normalizers") || !j["normalizers"].is_array()) {
      fail("{}: Sequence needs a 'normalizers' array", what);
    }
    const NestingGuard guard(what);
    std::vector<std::unique_ptr<Normalizer>> parts;
    for (size_t i = 0; i < j["normalizers"].size(); ++i) {
      parts.push_back(from_json(j["normalizers"][i], fmt::format("{}.normalizers[{}]", what, i)));
    }
    return std::make_unique<Sequence>(std::move(parts));
  }
  fail("{}: normalizer type '{}' is not supported", what, type);
}

}  // namespace finefp8::tok
