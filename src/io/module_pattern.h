#pragma once
// Module-name patterns of quantization configs (`modules_to_not_convert`, compressed-tensors
// `ignore: ["re:..."]`): Python `re` regexes, compiled with PCRE2 (Debian libpcre2-dev), whose
// syntax and leftmost-first backtracking semantics are Python's for everything these
// patterns use. Two Python spellings are translated first: `{,n}` (= `{0,n}`) and `\Z`
// (Python: the very end; PCRE2: `\z`). Matching is bounded by PCRE2's match and depth
// limits, so a hostile pattern cannot hang a load: it fails with an Error instead.
#include <memory>
#include <string>
#include <string_view>

namespace finefp8 {

class ModulePattern {
 public:
  // Compiles `regex`. Throws Error "... is not a supported module pattern: <why> at offset N",
  // naming `what` (e.g. "qc.json: 'quantization_config.ignore[0]'").
  ModulePattern(std::string_view regex, std::string_view what);
  ~ModulePattern();
  ModulePattern(ModulePattern&&) noexcept;
  ModulePattern& operator=(ModulePattern&&) noexcept;

  // Python re.match: anchored at the start of `subject`, no end anchor. True if it matches;
  // then `*end` (if given) is where the leftmost-first match ends. Throws Error if PCRE2's
  // match limit is hit.
  bool match_prefix(std::string_view subject, size_t* end = nullptr) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::string text_;
};

}  // namespace finefp8
