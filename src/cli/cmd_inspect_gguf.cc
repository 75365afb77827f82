// `finefp8 inspect MODEL.gguf`: a GGUF file's metadata and tensors (validated as
// `finefp8 convert` reads it).
#include <algorithm>
#include <map>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "gguf/gguf_file.h"

namespace finefp8::cli {
namespace {

using ojson = nlohmann::ordered_json;

// A value as JSON; arrays longer than `max_elems` shortened to their first elements.
ojson value_json(const GgufValue& v, size_t max_elems) {
  switch (v.type) {
    case GgufValueType::kString: return v.s;
    case GgufValueType::kBool: return v.i != 0;
    case GgufValueType::kF32: case GgufValueType::kF64: return v.f;
    case GgufValueType::kU64: return v.u;
    case GgufValueType::kArray: {
      ojson a = ojson::array();
      const size_t n = std::min(v.array_size(), max_elems);
      for (size_t k = 0; k < n; ++k) {
        if (!v.strings.empty()) a.push_back(v.strings[k]);
        else if (!v.floats.empty()) a.push_back(v.floats[k]);
        else a.push_back(v.ints[k]);
      }
      return a;
    }
    default: return v.i;
  }
}

std::string type_str(const GgufValue& v) {
  if (v.type != GgufValueType::kArray) return std::string(gguf_value_type_name(v.type));
  return fmt::format("{}[{}]", gguf_value_type_name(v.elem), v.array_size());
}

std::string dump(const ojson& j) { return j.dump(-1, ' ', false, ojson::error_handler_t::replace); }

}  // namespace

int run_inspect_gguf(const std::string& path, bool json, bool no_tensors) {
  const GgufFile f = GgufFile::open(path);
  std::map<std::string, std::pair<size_t, uint64_t>> by_type;
  uint64_t total_bytes = 0, total_elements = 0;
  for (const GgufTensorInfo& t : f.tensors()) {
    auto& [n, bytes] = by_type[std::string(t.type_info().name)];
    ++n;
    bytes += t.bytes;
    total_bytes += t.bytes;
    total_elements += t.elements;
  }
  if (json) {
    ojson j;
    j["path"] = path;
    j["version"] = f.version();
    j["alignment"] = f.header().alignment;
    j["metadata"] = ojson::object();
    for (const auto& [key, v] : f.header().metadata) j["metadata"][key] = {{"type", type_str(v)}, {"value", value_json(v, 16)}};
    if (!no_tensors) {
      j["tensors"] = ojson::array();
      for (const GgufTensorInfo& t : f.tensors()) {
        j["tensors"].push_back({{"name", t.name}, {"type", t.type_info().name}, {"ne", t.ne},
                                {"shape", t.hf_shape()}, {"bytes", t.bytes}, {"offset", t.offset}});
      }
    }
    for (const auto& [type, nb] : by_type) j["type_totals"][type] = {{"tensors", nb.first}, {"bytes", nb.second}};
    j["total_bytes"] = total_bytes;
    j["total_elements"] = total_elements;
    fmt::print("{}\n", j.dump(2, ' ', false, ojson::error_handler_t::replace));
    return 0;
  }
  fmt::print("{}: GGUF v{}, {} metadata key(s), {} tensor(s), {:.3f} GB of tensor data, {:.3f} B parameters\n",
             path, f.version(), f.header().metadata.size(), f.tensors().size(), double(total_bytes) / 1e9,
             double(total_elements) / 1e9);
  fmt::print("\nmetadata:\n");
  for (const auto& [key, v] : f.header().metadata) {
    std::string text = dump(value_json(v, 5));
    if (v.type == GgufValueType::kArray && v.array_size() > 5) text.insert(text.size() - 1, ", ...");
    if (text.size() > 100) text = text.substr(0, 97) + "...";
    fmt::print("  {:<40} {:<14} {}\n", key, type_str(v), text);
  }
  if (!no_tensors) {
    size_t width = 4;
    for (const GgufTensorInfo& t : f.tensors()) width = std::max(width, t.name.size());
    fmt::print("\n{:<{}}  {:<6} {:<20} {:>12}\n", "name", width, "type", "shape (HF order)", "bytes");
    for (const GgufTensorInfo& t : f.tensors()) {
      fmt::print("{:<{}}  {:<6} {:<20} {:>12}\n", t.name, width, t.type_info().name,
                 fmt::format("[{}]", fmt::join(t.hf_shape(), ", ")), t.bytes);
    }
  }
  fmt::print("\ntype totals:\n");
  for (const auto& [type, nb] : by_type) fmt::print("  {:<6} {:>6} tensors {:>14} bytes\n", type, nb.first, nb.second);
  return 0;
}

}  // namespace finefp8::cli
