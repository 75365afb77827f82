#include "io/module_pattern.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "util/error.h"

namespace finefp8 {
namespace {

// `{,n}` -> `{0,n}`, `\Z` -> `\z`, outside character classes.
std::string python_to_pcre2(std::string_view p) {
  std::string out;
  bool in_class = false;
  for (size_t i = 0; i < p.size(); ++i) {
    const char c = p[i];
    if (c == '\\' && i + 1 < p.size()) {
      out += c;
      out += (!in_class && p[i + 1] == 'Z') ? 'z' : p[i + 1];
      ++i;
      continue;
    }
    if (in_class) {
      if (c == ']') in_class = false;
      out += c;
      continue;
    }
    if (c == '[') {
      in_class = true;
      out += c;
      if (i + 1 < p.size() && p[i + 1] == '^') out += p[++i];
      if (i + 1 < p.size() && p[i + 1] == ']') out += p[++i];  // leading ']' is literal
      continue;
    }
    if (c == '{' && i + 1 < p.size() && p[i + 1] == ',') {
      size_t j = i + 2;
      while (j < p.size() && p[j] >= '0' && p[j] <= '9') ++j;
      if (j > i + 2 && j < p.size() && p[j] == '}') {
        out += "{0";
        continue;
      }
    }
    out += c;
  }
  return out;
}

constexpr uint32_t kMatchLimit = 1'000'000;   // backtracking steps per match
constexpr uint32_t kDepthLimit = 10'000;      // nested backtracking frames
constexpr size_t kMaxPatternBytes = 4096;

}  // namespace

struct ModulePattern::Impl {
  pcre2_code* code = nullptr;
  pcre2_match_context* context = nullptr;
  ~Impl() {
    pcre2_code_free(code);
    pcre2_match_context_free(context);
  }
};

ModulePattern::ModulePattern(std::string_view regex, std::string_view what)
    : impl_(std::make_unique<Impl>()), text_(regex) {
  if (regex.size() > kMaxPatternBytes) {
    fail("{} is not a supported module pattern: longer than {} bytes", what, kMaxPatternBytes);
  }
  const std::string translated = python_to_pcre2(regex);
  int error = 0;
  PCRE2_SIZE offset = 0;
  impl_->code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(translated.data()), translated.size(),
                              PCRE2_ANCHORED, &error, &offset, nullptr);
  if (impl_->code == nullptr) {
    PCRE2_UCHAR message[256];
    pcre2_get_error_message(error, message, sizeof(message));
    fail("{} is not a supported module pattern: {} at offset {}", what,
         reinterpret_cast<const char*>(message), offset);
  }
  impl_->context = pcre2_match_context_create(nullptr);
  pcre2_set_match_limit(impl_->context, kMatchLimit);
  pcre2_set_depth_limit(impl_->context, kDepthLimit);
}

ModulePattern::~ModulePattern() = default;
ModulePattern::ModulePattern(ModulePattern&&) noexcept = default;
ModulePattern& ModulePattern::operator=(ModulePattern&&) noexcept = default;

bool ModulePattern::match_prefix(std::string_view subject, size_t* end) const {
  pcre2_match_data* md = pcre2_match_data_create_from_pattern(impl_->code, nullptr);
  FINEFP8_ASSERT(md != nullptr);
  const int rc = pcre2_match(impl_->code, reinterpret_cast<PCRE2_SPTR>(subject.data()),
                             subject.size(), 0, 0, md, impl_->context);
  if (rc >= 0 && end != nullptr) *end = pcre2_get_ovector_pointer(md)[1];
  pcre2_match_data_free(md);
  if (rc == PCRE2_ERROR_NOMATCH) return false;
  if (rc < 0) {
    fail("module pattern '{}' is too complex to match against '{}' (PCRE2 error {}); simplify "
         "it", text_, subject, rc);
  }
  return true;
}

}  // namespace finefp8
