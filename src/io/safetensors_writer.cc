#include "io/safetensors_writer.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "io/atomic_output.h"
#include "util/error.h"

namespace finefp8 {
namespace fs = std::filesystem;

uint64_t TensorDecl::bytes() const {
  uint64_t elements = 1;
  for (uint64_t d : shape) {
    if (d != 0 && elements > UINT64_MAX / d) fail("tensor '{}': shape overflows the element count", name);
    elements *= d;
  }
  const auto b = tensor_bytes(dtype, elements);
  if (!b) fail("tensor '{}': shape overflows the byte size or is not a whole number of bytes", name);
  return *b;
}

namespace {
void pwrite_all(int fd, const uint8_t* data, uint64_t size, uint64_t offset, const fs::path& path) {
  while (size > 0) {
    const ssize_t w = ::pwrite(fd, data, size, off_t(offset));
    if (w < 0) {
      if (errno == EINTR) continue;
      fail("cannot write {}: {}", path.string(), std::strerror(errno));
    }
    data += w;
    size -= uint64_t(w);
    offset += uint64_t(w);
  }
}
}  // namespace

SafetensorsWriter::SafetensorsWriter(fs::path path, std::vector<TensorDecl> tensors,
                                     std::map<std::string, std::string> metadata)
    : path_(std::move(path)), tensors_(std::move(tensors)) {
  std::stable_sort(tensors_.begin(), tensors_.end(), [](const TensorDecl& a, const TensorDecl& b) {
    const size_t sa = dtype_bits(a.dtype), sb = dtype_bits(b.dtype);
    return sa != sb ? sa > sb : a.name < b.name;
  });
  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  for (size_t i = 0; i < tensors_.size(); ++i) {
    const TensorDecl& t = tensors_[i];
    if (t.name == "__metadata__" || t.name.empty()) fail("invalid tensor name '{}'", t.name);
    if (!index_.emplace(t.name, i).second) fail("tensor '{}' declared twice", t.name);
    const uint64_t bytes = t.bytes();
    begin_.push_back(data_bytes_);
    header[t.name] = {{"dtype", dtype_name(t.dtype)}, {"shape", t.shape},
                      {"data_offsets", {data_bytes_, data_bytes_ + bytes}}};
    data_bytes_ += bytes;
  }
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');
  data_offset_ = 8 + text.size();
  written_.assign(tensors_.size(), false);

  temp_ = temp_sibling(path_);
  fd_ = ::open(temp_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd_ < 0) fail("cannot create {}: {}", temp_.string(), std::strerror(errno));
  uint8_t len[8];
  for (int i = 0; i < 8; ++i) len[i] = uint8_t(uint64_t(text.size()) >> (8 * i));
  pwrite_all(fd_, len, 8, 0, path_);
  pwrite_all(fd_, reinterpret_cast<const uint8_t*>(text.data()), text.size(), 8, path_);
}

SafetensorsWriter::~SafetensorsWriter() {
  if (fd_ >= 0) {
    ::close(fd_);
    ::unlink(temp_.c_str());
  }
}

size_t SafetensorsWriter::claim(std::string_view name, uint64_t size) {
  const auto it = index_.find(name);
  if (it == index_.end()) fail("{}: tensor '{}' was not declared", path_.string(), name);
  const size_t i = it->second;
  if (written_[i]) fail("{}: tensor '{}' written twice", path_.string(), name);
  const uint64_t want = tensors_[i].bytes();
  if (size != want) {
    fail("{}: tensor '{}' has {} bytes, declared {}", path_.string(), name, size, want);
  }
  written_[i] = true;
  return i;
}

void SafetensorsWriter::write(std::string_view name, std::span<const uint8_t> bytes) {
  const size_t i = claim(name, bytes.size());
  pwrite_all(fd_, bytes.data(), bytes.size(), data_offset_ + begin_[i], path_);
}

void SafetensorsWriter::copy_from(std::string_view name, int src_fd, uint64_t src_offset) {
  const auto it = index_.find(name);
  if (it == index_.end()) fail("{}: tensor '{}' was not declared", path_.string(), name);
  const uint64_t size = tensors_[it->second].bytes();
  const size_t i = claim(name, size);
  loff_t in = loff_t(src_offset), out = loff_t(data_offset_ + begin_[i]);
  uint64_t left = size;
  while (left > 0) {
    const ssize_t n = ::copy_file_range(src_fd, &in, fd_, &out, left, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      if (n < 0 && errno != EXDEV && errno != ENOSYS && errno != EOPNOTSUPP && errno != EINVAL) {
        fail("cannot write {}: {}", path_.string(), std::strerror(errno));
      }
      // The kernel cannot copy between these files: fall back to reading in chunks.
      std::vector<uint8_t> buf(std::min<uint64_t>(left, 16u << 20));
      while (left > 0) {
        const ssize_t r = ::pread(src_fd, buf.data(), std::min<uint64_t>(left, buf.size()), in);
        if (r <= 0) fail("cannot read the source of '{}': {}", name, r < 0 ? std::strerror(errno) : "end of file");
        pwrite_all(fd_, buf.data(), uint64_t(r), uint64_t(out), path_);
        in += r;
        out += r;
        left -= uint64_t(r);
      }
      return;
    }
    left -= uint64_t(n);
  }
}

void SafetensorsWriter::finish() {
  FINEFP8_ASSERT(fd_ >= 0);
  for (size_t i = 0; i < tensors_.size(); ++i) {
    if (!written_[i]) fail("{}: tensor '{}' was never written", path_.string(), tensors_[i].name);
  }
  if (::fsync(fd_) != 0) fail("cannot write {}: {}", path_.string(), std::strerror(errno));
  const int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0) {
    ::unlink(temp_.c_str());
    fail("cannot write {}: {}", path_.string(), std::strerror(errno));
  }
  if (::rename(temp_.c_str(), path_.c_str()) != 0) {
    const int err = errno;
    ::unlink(temp_.c_str());
    fail("cannot rename {} to {}: {}", temp_.string(), path_.string(), std::strerror(err));
  }
}

ShardedCheckpointWriter::ShardedCheckpointWriter(fs::path dir, std::vector<TensorDecl> tensors,
                                                 uint64_t max_shard_bytes)
    : dir_(std::move(dir)) {
  if (max_shard_bytes == 0) fail("the shard size limit must be positive");
  std::vector<std::vector<TensorDecl>> groups;
  uint64_t current = 0;
  for (TensorDecl& t : tensors) {
    const uint64_t b = t.bytes();
    total_ += b;
    if (groups.empty() || (current + b > max_shard_bytes && current > 0)) {
      groups.emplace_back();
      current = 0;
    }
    current += b;
    groups.back().push_back(std::move(t));
  }
  if (groups.empty()) groups.emplace_back();
  const size_t n = groups.size();
  for (size_t s = 0; s < n; ++s) {
    const std::string name = n == 1 ? "model.safetensors"
                                    : fmt::format("model-{:05d}-of-{:05d}.safetensors", s + 1, n);
    for (const TensorDecl& t : groups[s]) {
      if (!shard_of_.emplace(t.name, s).second) fail("tensor '{}' declared twice", t.name);
    }
    shard_names_.push_back(name);
    shards_.push_back(std::make_unique<SafetensorsWriter>(dir_ / name, std::move(groups[s])));
  }
}

void ShardedCheckpointWriter::write(std::string_view name, std::span<const uint8_t> bytes) {
  const auto it = shard_of_.find(name);
  if (it == shard_of_.end()) fail("{}: tensor '{}' was not declared", dir_.string(), name);
  shards_[it->second]->write(name, bytes);
}

void ShardedCheckpointWriter::copy_from(std::string_view name, int src_fd, uint64_t src_offset) {
  const auto it = shard_of_.find(name);
  if (it == shard_of_.end()) fail("{}: tensor '{}' was not declared", dir_.string(), name);
  shards_[it->second]->copy_from(name, src_fd, src_offset);
}

void ShardedCheckpointWriter::finish() {
  for (auto& s : shards_) s->finish();
  if (shards_.size() == 1) return;
  nlohmann::json index;  // std::map-backed: keys sorted, like transformers' sort_keys=True
  index["metadata"]["total_size"] = total_;
  index["weight_map"] = nlohmann::json::object();
  for (const auto& [name, shard] : shard_of_) index["weight_map"][name] = shard_names_[shard];
  write_file_atomic(dir_ / "model.safetensors.index.json", index.dump(2) + "\n");
}

}  // namespace finefp8
