#pragma once
// The regexes of tokenizer.json (Split pre-tokenizers, Replace normalizers/decoders). The
// `tokenizers` library compiles them with Oniguruma; here PCRE2 (UTF + UCP + JIT) runs them
// after one translation that makes PCRE2 agree with Oniguruma: `\s` means Unicode White_Space
// (PCRE2's \s would also take U+180E). Letter/number classes follow PCRE2's Unicode tables
// (Unicode 14 in Debian 12's PCRE2 10.42; Oniguruma's are newer: see docs/TOKENIZER.md).
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace finefp8::tok {

class Regex {
 public:
  // Throws Error naming `what` when the pattern does not compile.
  Regex(std::string_view pattern, std::string_view what);
  ~Regex();
  Regex(Regex&&) noexcept;
  Regex& operator=(Regex&&) noexcept;

  // Calls on_match(begin, end) for each successive non-overlapping leftmost match in the
  // valid UTF-8 `subject`, like Oniguruma's find_iter (an empty match advances one character).
  // Thread-safe.
  void find_all(std::string_view subject,
                const std::function<void(size_t, size_t)>& on_match) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Counts nesting of "Sequence" components while a tokenizer.json is read; throws Error naming
// `what` beyond 32 levels (a hostile file must not exhaust the stack).
class NestingGuard {
 public:
  explicit NestingGuard(std::string_view what);
  ~NestingGuard();
  NestingGuard(const NestingGuard&) = delete;
  NestingGuard& operator=(const NestingGuard&) = delete;
};

// Escapes a literal string for use in a pattern.
std::string regex_escape(std::string_view literal);

}  // namespace finefp8::tok
