#pragma once
// Reading a JSON file (config.json, model.safetensors.index.json, ...) with errors that name
// the file: "PATH: cannot open for reading", "PATH: read error",
// "PATH: not valid JSON (byte N): <parser message>".
#include <filesystem>

#include <nlohmann/json.hpp>

namespace finefp8 {

nlohmann::json read_json_file(const std::filesystem::path& path);

}  // namespace finefp8
