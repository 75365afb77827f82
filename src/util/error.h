#pragma once
// Errors by tier:
//  - finefp8::Error: anything a user can cause (a bad file, flag, request or value). The
//    message says what is wrong and, where possible, what to do. Never abort on these.
//  - FINEFP8_ASSERT: internal invariants; always on; aborts with file:line.
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>

#include <fmt/format.h>

namespace finefp8 {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& what) : std::runtime_error(what) {}
};

// Throws Error with a fmt-formatted message.
template <typename... Args>
[[noreturn]] void fail(fmt::format_string<Args...> format, Args&&... args) {
  throw Error(fmt::format(format, std::forward<Args>(args)...));
}

}  // namespace finefp8

#define FINEFP8_ASSERT(cond)                                                          \
  do {                                                                                \
    if (!(cond)) {                                                                    \
      std::fprintf(stderr, "finefp8: internal error at %s:%d: %s\n", __FILE__, __LINE__, \
                   #cond);                                                            \
      std::abort();                                                                   \
    }                                                                                 \
  } while (0)
