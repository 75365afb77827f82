#pragma once
// Streaming .safetensors writers: the header is fixed up front from the tensor declarations,
// then tensors are written one at a time (in any order) straight to disk, so memory holds at
// most one tensor. Files appear under their final name only when complete.
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "io/dtype.h"

namespace finefp8 {

struct TensorDecl {
  std::string name;
  DType dtype = DType::kF32;
  std::vector<uint64_t> shape;
  uint64_t bytes() const;  // elements x dtype size; Error on overflow
};

// One file. Layout as the reference implementation writes it: tensors sorted by element size
// (largest first) then name, header JSON `{"__metadata__": {...}, name: {dtype, shape,
// data_offsets}, ...}` padded with spaces to a multiple of 8 bytes.
class SafetensorsWriter {
 public:
  SafetensorsWriter(std::filesystem::path path, std::vector<TensorDecl> tensors,
                    std::map<std::string, std::string> metadata = {{"format", "pt"}});
  SafetensorsWriter(const SafetensorsWriter&) = delete;
  SafetensorsWriter& operator=(const SafetensorsWriter&) = delete;
  ~SafetensorsWriter();  // if finish() was not reached: removes the temporary file

  // `bytes` must be exactly the declared size of tensor `name`; each tensor once.
  void write(std::string_view name, std::span<const uint8_t> bytes);
  // Writes tensor `name` from `src_fd` at `src_offset` (its declared size) with
  // copy_file_range: the kernel copies, nothing is mapped into this process.
  void copy_from(std::string_view name, int src_fd, uint64_t src_offset);
  // Checks every tensor was written, syncs, renames into place.
  void finish();
  bool has(std::string_view name) const { return index_.count(std::string(name)) != 0; }
  uint64_t file_size() const { return data_offset_ + data_bytes_; }

 private:
  size_t claim(std::string_view name, uint64_t size);  // index of `name`; checks size, once
  std::filesystem::path path_, temp_;
  int fd_ = -1;
  std::vector<TensorDecl> tensors_;  // in file order
  std::vector<uint64_t> begin_;
  std::vector<bool> written_;
  std::map<std::string, size_t, std::less<>> index_;
  uint64_t data_offset_ = 0, data_bytes_ = 0;
};

// A Hugging Face checkpoint's weights, sharded by size like transformers' save_pretrained:
// `model.safetensors` when everything fits one shard, else
// `model-0000i-of-0000N.safetensors` + `model.safetensors.index.json`
// ({"metadata": {"total_size": bytes}, "weight_map": {tensor: file}}, keys sorted).
// Shards are filled in declaration order; a tensor larger than the limit gets its own shard.
class ShardedCheckpointWriter {
 public:
  ShardedCheckpointWriter(std::filesystem::path dir, std::vector<TensorDecl> tensors,
                          uint64_t max_shard_bytes);
  void write(std::string_view name, std::span<const uint8_t> bytes);
  void copy_from(std::string_view name, int src_fd, uint64_t src_offset);
  void finish();  // finishes every shard, then writes the index
  size_t shard_count() const { return shards_.size(); }
  uint64_t total_bytes() const { return total_; }

 private:
  std::filesystem::path dir_;
  std::vector<std::unique_ptr<SafetensorsWriter>> shards_;
  std::vector<std::string> shard_names_;
  std::map<std::string, size_t, std::less<>> shard_of_;
  uint64_t total_ = 0;
};

}  // namespace finefp8
