#pragma once
// Helpers for config-parser tests: edited copies of a JSON document, and "this parse must
// fail with an Error naming the source and containing these parts".
#include <gtest/gtest.h>

#include <initializer_list>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "util/error.h"

namespace finefp8::testing {

// `base` with the value at `ptr` set to `value`.
inline nlohmann::json with(const nlohmann::json& base, const nlohmann::json::json_pointer& ptr,
                           const nlohmann::json& value) {
  nlohmann::json j = base;
  j[ptr] = value;
  return j;
}

// `base` without the value at `ptr`.
inline nlohmann::json without(const nlohmann::json& base, const nlohmann::json::json_pointer& ptr) {
  nlohmann::json j = base;
  j[ptr.parent_pointer()].erase(ptr.back());
  return j;
}

// parse(j) must throw Error whose message starts with "<source>: " and contains every part.
template <typename Parse>
void expect_parse_error(Parse parse, std::string_view source, const nlohmann::json& j,
                        std::initializer_list<std::string_view> parts) {
  try {
    parse(j);
    ADD_FAILURE() << "no error for " << j.dump();
  } catch (const Error& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find(std::string(source) + ": "), std::string::npos) << m;
    for (std::string_view p : parts) EXPECT_NE(m.find(p), std::string::npos) << p << " | " << m;
  }
}

}  // namespace finefp8::testing
