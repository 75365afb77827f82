#pragma once
// The non-weight parts of a Hugging Face model directory, shared by the converters.
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace finefp8 {

// Error unless `out` is a different place than the model directory `src` (a converter
// writing over its own input would delete it on commit).
void check_distinct_output(const std::filesystem::path& src, const std::filesystem::path& out);

// `dir`/config.json parsed; Error if missing, not JSON or not an object.
nlohmann::json read_config_json(const std::filesystem::path& dir);

// Copies every top-level regular file of `src` except config.json, the safetensors index and
// *.safetensors (tokenizer files, generation_config.json, chat template, license, README...)
// into `dst`. Returns their names.
std::vector<std::string> copy_side_files(const std::filesystem::path& src,
                                         const std::filesystem::path& dst);

}  // namespace finefp8
