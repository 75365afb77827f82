#include "io/hf_directory.h"

#include "io/json_file.h"
#include "util/error.h"

namespace finefp8 {
namespace fs = std::filesystem;

void check_distinct_output(const fs::path& src, const fs::path& out) {
  std::error_code ec;
  if (fs::exists(out, ec) && fs::equivalent(src, out, ec)) {
    fail("the output {} is the source model directory itself; write to a new directory", out.string());
  }
}

nlohmann::json read_config_json(const fs::path& dir) {
  const fs::path p = dir / "config.json";
  if (!fs::exists(p)) fail("{}: no such file; a Hugging Face model directory holds config.json", p.string());
  const nlohmann::json j = read_json_file(p);
  if (!j.is_object()) fail("{}: must be a JSON object", p.string());
  return j;
}

std::vector<std::string> copy_side_files(const fs::path& src, const fs::path& dst) {
  std::vector<std::string> copied;
  for (const auto& entry : fs::directory_iterator(src)) {
    const std::string name = entry.path().filename().string();
    if (!entry.is_regular_file() || name == "config.json" || name == "model.safetensors.index.json" ||
        entry.path().extension() == ".safetensors") {
      continue;
    }
    std::error_code ec;
    fs::copy_file(entry.path(), dst / name, ec);
    if (ec) fail("cannot copy {}: {}", entry.path().string(), ec.message());
    copied.push_back(name);
  }
  return copied;
}

}  // namespace finefp8
