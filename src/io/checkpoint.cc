#include "io/checkpoint.h"

#include <set>

#include <nlohmann/json.hpp>

#include "io/json_file.h"
#include "util/error.h"

namespace finefp8 {
namespace fs = std::filesystem;

fs::path checked_shard_path(const fs::path& dir, const std::string& file_name,
                            std::string_view index_source) {
  if (file_name.empty() || file_name == "." || file_name == ".." ||
      file_name.find('/') != std::string::npos || file_name.find('\\') != std::string::npos ||
      file_name.find('\0') != std::string::npos) {
    fail("{}: weight_map names the file '{}', which is not a plain file name inside the model "
         "directory", index_source, file_name);
  }
  const fs::path p = dir / file_name;
  std::error_code ec;
  const fs::path real = fs::canonical(p, ec);
  if (ec) fail("{}: weight_map names '{}', which does not exist ({})", index_source, file_name, ec.message());
  const fs::path real_dir = fs::canonical(dir, ec);
  if (ec) fail("{}: cannot resolve the model directory: {}", index_source, ec.message());
  if (real.parent_path() != real_dir) {
    fail("{}: weight_map file '{}' is a link to {}, outside the model directory", index_source,
         file_name, real.string());
  }
  if (!fs::is_regular_file(real, ec)) {
    fail("{}: weight_map file '{}' is not a regular file", index_source, file_name);
  }
  return p;
}

std::map<std::string, std::string> read_safetensors_index(const fs::path& index_json) {
  const std::string src = index_json.string();
  const nlohmann::json j = read_json_file(index_json);
  if (!j.is_object() || !j.contains("weight_map") || !j.at("weight_map").is_object()) {
    fail("{}: expected an object with a 'weight_map' object", src);
  }
  std::map<std::string, std::string> map;
  for (const auto& [name, file] : j.at("weight_map").items()) {
    if (!file.is_string()) fail("{}: weight_map['{}'] must be a file name string", src, name);
    map[name] = file.get<std::string>();
  }
  const fs::path dir = index_json.parent_path().empty() ? fs::path(".") : index_json.parent_path();
  std::set<std::string> checked;
  for (const auto& [name, file] : map) {
    if (checked.insert(file).second) checked_shard_path(dir, file, src);
  }
  return map;
}

Checkpoint Checkpoint::open(const fs::path& path) {
  Checkpoint c;
  std::error_code ec;
  if (!fs::exists(path, ec)) fail("{}: no such file or directory", path.string());
  std::map<std::string, std::string> weight_map;
  std::vector<fs::path> files;
  fs::path index_path;
  if (fs::is_directory(path, ec)) {
    c.dir_ = path;
    index_path = path / "model.safetensors.index.json";
    if (fs::exists(index_path, ec)) {
      weight_map = read_safetensors_index(index_path);
      std::set<std::string> names;
      for (const auto& [t, f] : weight_map) names.insert(f);
      for (const std::string& f : names) files.push_back(path / f);
      if (files.empty()) fail("{}: weight_map is empty", index_path.string());
    } else if (fs::exists(path / "model.safetensors", ec)) {
      files.push_back(path / "model.safetensors");
      index_path.clear();
    } else {
      fail("{}: no model.safetensors or model.safetensors.index.json in this directory",
           path.string());
    }
  } else {
    c.dir_ = path.has_parent_path() ? path.parent_path() : fs::path(".");
    files.push_back(path);
  }
  for (const fs::path& f : files) c.shards_.push_back(SafetensorsFile::open(f.string()));
  for (size_t s = 0; s < c.shards_.size(); ++s) {
    const std::string shard_name = files[s].filename().string();
    for (const TensorInfo& t : c.shards_[s].tensors()) {
      const Entry e{&t, s};
      if (!c.by_name_.emplace(t.name, e).second) {
        fail("{}: tensor '{}' is stored in two shards ({} and {})", c.dir_.string(), t.name,
             files[c.by_name_.at(t.name).shard].filename().string(), shard_name);
      }
      if (!index_path.empty()) {
        const auto it = weight_map.find(t.name);
        if (it == weight_map.end()) {
          fail("{}: tensor '{}' is in {} but not listed in the index", index_path.string(),
               t.name, shard_name);
        }
        if (it->second != shard_name) {
          fail("{}: tensor '{}' is listed in {} but stored in {}", index_path.string(), t.name,
               it->second, shard_name);
        }
      }
      c.order_.push_back(e);
    }
  }
  for (const auto& [t, f] : weight_map) {
    if (c.by_name_.count(t) == 0) {
      fail("{}: tensor '{}' is listed (in {}) but absent from that shard", index_path.string(), t, f);
    }
  }
  return c;
}

const TensorInfo* Checkpoint::find(std::string_view name) const {
  const auto it = by_name_.find(name);
  return it == by_name_.end() ? nullptr : it->second.info;
}

void Checkpoint::release(std::string_view name) const {
  if (const TensorInfo* t = find(name)) shards_[shard_of(name)].release(*t);
}

size_t Checkpoint::shard_of(std::string_view name) const {
  const auto it = by_name_.find(name);
  if (it == by_name_.end()) fail("{}: no tensor named '{}'", dir_.string(), name);
  return it->second.shard;
}

TensorView Checkpoint::tensor(std::string_view name) const {
  const auto it = by_name_.find(name);
  if (it == by_name_.end()) fail("{}: no tensor named '{}'", dir_.string(), name);
  return shards_[it->second.shard].view(*it->second.info);
}

}  // namespace finefp8
