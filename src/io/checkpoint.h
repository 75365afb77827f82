#pragma once
// A Hugging Face checkpoint's weights opened as one set of named tensors: a single
// .safetensors file, a directory with `model.safetensors`, or a sharded directory with
// `model.safetensors.index.json`. Files are memory-mapped; tensor views are zero-copy.
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "io/safetensors.h"

namespace finefp8 {

class Checkpoint {
 public:
  // `path`: a .safetensors file or a model directory. Validates every shard and, for a
  // sharded directory, the index: weight_map file names must be plain names of files inside
  // the directory (no '/', '..', absolute paths, or symlinks leading outside), every listed
  // tensor must exist in its shard and every tensor of every shard must be listed there.
  static Checkpoint open(const std::filesystem::path& path);

  // The directory holding config.json etc. (the file's directory for a single file).
  const std::filesystem::path& dir() const { return dir_; }
  const std::vector<SafetensorsFile>& shards() const { return shards_; }
  // All tensors, in shard order then file (offset) order.
  struct Entry {
    const TensorInfo* info;
    size_t shard;
  };
  const std::vector<Entry>& tensors() const { return order_; }
  // nullptr if absent.
  const TensorInfo* find(std::string_view name) const;
  // Throws Error naming the checkpoint if absent.
  TensorView tensor(std::string_view name) const;
  size_t shard_of(std::string_view name) const;
  // Drops the resident pages of tensor `name` (see SafetensorsFile::release): a later read
  // pages it in again from the file. Lets a loader that copies tensors out keep its RSS at
  // what it built, not what it read.
  void release(std::string_view name) const;

 private:
  std::filesystem::path dir_;
  std::vector<SafetensorsFile> shards_;
  std::vector<Entry> order_;
  std::map<std::string, Entry, std::less<>> by_name_;
};

// Weight map of a sharded checkpoint's index: tensor name -> shard file name (validated to be
// a plain file name inside `dir`). Reads only the index file.
std::map<std::string, std::string> read_safetensors_index(const std::filesystem::path& index_json);

// Validates a weight_map file name: a plain name of a regular file inside `dir`, following
// symlinks only if they stay inside `dir`. Returns the file's path.
std::filesystem::path checked_shard_path(const std::filesystem::path& dir,
                                         const std::string& file_name,
                                         std::string_view index_source);

}  // namespace finefp8
