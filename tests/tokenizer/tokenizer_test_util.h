#pragma once
// Where the tokenizer tests find their data: the shared data directory (../shared/data next to
// the repository) and the committed tiny tokenizers (tests/fixtures/tokenizers/).
#include <cstdlib>
#include <filesystem>
#include <string>

#include <gtest/gtest.h>

namespace finefp8::testing {

inline std::filesystem::path shared_data_dir() { return FINEFP8_SHARED_DATA_DIR; }
inline std::filesystem::path tiny_tokenizer_dir(const std::string& name) {
  return std::filesystem::path(FINEFP8_FIXTURES_DIR) / "tokenizers" / name;
}

}  // namespace finefp8::testing

// Skips the test when PATH is absent, or fails it under CI (env CI set), where the shared
// data is always present.
#define FINEFP8_REQUIRE_PATH(path)                                                         \
  do {                                                                                     \
    if (!std::filesystem::exists(path)) {                                                  \
      if (std::getenv("CI") != nullptr) {                                                  \
        FAIL() << "missing test data under CI: " << (path);                               \
      } else {                                                                             \
        GTEST_SKIP() << "test data not present: " << (path);                               \
      }                                                                                    \
    }                                                                                      \
  } while (0)
