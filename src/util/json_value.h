#pragma once
// An optional JSON field of an expected type: `fallback` when absent or null, the value when
// of type T, else finefp8::Error naming the field (never nlohmann's type_error, which hostile
// files would otherwise turn into an uncaught exception).
#include <string>
#include <string_view>
#include <type_traits>

#include <nlohmann/json.hpp>

#include "util/error.h"

namespace finefp8 {

template <typename T>
T json_value_or(const nlohmann::json& j, const char* key, T fallback, std::string_view what) {
  static_assert(std::is_same_v<T, std::string> || std::is_same_v<T, bool>);
  if (!j.is_object() || !j.contains(key) || j[key].is_null()) return fallback;
  const nlohmann::json& v = j[key];
  if constexpr (std::is_same_v<T, std::string>) {
    if (!v.is_string()) fail("{}: '{}' must be a string", what, key);
    return v.get<std::string>();
  } else {
    if (!v.is_boolean()) fail("{}: '{}' must be true or false", what, key);
    return v.get<bool>();
  }
}

}  // namespace finefp8
