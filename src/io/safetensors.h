#pragma once
// Reading .safetensors files: memory-mapped, zero-copy, validated as strictly as the
// reference Rust implementation (huggingface/safetensors tensor.rs). Layout:
//   8 bytes   N, little-endian u64, N <= 100,000,000
//   N bytes   UTF-8 JSON object {name: {dtype, shape, data_offsets: [begin, end]}, ...,
//             "__metadata__": {string: string}} (whitespace padding allowed)
//   the rest  tensor bytes; offsets relative to here, sorted, contiguous from 0, covering it
//             exactly (no holes, overlaps or trailing bytes).
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "io/dtype.h"

namespace finefp8 {

inline constexpr uint64_t kMaxSafetensorsHeader = 100'000'000;

struct TensorInfo {
  std::string name;
  DType dtype = DType::kF32;
  std::vector<uint64_t> shape;
  uint64_t begin = 0;  // byte offsets into the data section
  uint64_t end = 0;
  uint64_t elements() const;  // product of shape (validated not to overflow)
  uint64_t bytes() const { return end - begin; }
};

// The parsed header: tensors sorted by offset, plus the free-form metadata.
struct SafetensorsHeader {
  std::vector<TensorInfo> tensors;
  std::map<std::string, std::string> metadata;
  uint64_t header_bytes = 0;  // N
  uint64_t data_offset() const { return 8 + header_bytes; }
};

// Validates and parses a whole file image `file` (header + data). `source` names the file in
// errors. Throws Error for every violation; never reads outside `file`.
SafetensorsHeader parse_safetensors(std::span<const uint8_t> file, std::string_view source);

// The same, given only the file's first bytes: `prefix` holds at least 8 + N bytes (N = the
// header length it declares, when that is valid), `file_size` the whole file's size.
SafetensorsHeader parse_safetensors_header(std::span<const uint8_t> prefix, uint64_t file_size,
                                           std::string_view source);

// Zero-copy view of one tensor's bytes inside a mapped file.
struct TensorView {
  const TensorInfo* info = nullptr;
  std::span<const uint8_t> data;
  // Element i as fp32 via the dtype table.
  float f32(size_t i) const { return dtype_info(info->dtype).to_f32(data.data(), i); }
};

// A memory-mapped, validated .safetensors file. Move-only; views stay valid while it lives.
class SafetensorsFile {
 public:
  static SafetensorsFile open(const std::string& path);
  SafetensorsFile(SafetensorsFile&&) noexcept;
  SafetensorsFile& operator=(SafetensorsFile&&) noexcept;
  ~SafetensorsFile();

  const std::string& path() const { return path_; }
  const SafetensorsHeader& header() const { return header_; }
  const std::vector<TensorInfo>& tensors() const { return header_.tensors; }
  uint64_t file_size() const { return size_; }
  // nullptr if absent. O(log n).
  const TensorInfo* find(std::string_view name) const;
  // Throws Error naming the file if absent.
  TensorView tensor(std::string_view name) const;
  TensorView view(const TensorInfo& info) const;
  // Drops the pages of `info`'s bytes from this process's resident memory (they stay in the
  // page cache): streaming readers call it when done with a tensor, so RSS stays bounded by
  // a few tensors whatever the checkpoint's size. Views of it stay valid (pages fault back).
  void release(const TensorInfo& info) const;
  // The open file descriptor and the absolute file offset of a tensor's bytes, for
  // kernel-side copies (SafetensorsWriter::copy_from) that never map the data.
  int fd() const { return fd_; }
  uint64_t file_offset(const TensorInfo& info) const { return header_.data_offset() + info.begin; }

 private:
  SafetensorsFile() = default;
  std::string path_;
  const uint8_t* map_ = nullptr;
  uint64_t size_ = 0;
  int fd_ = -1;  // kept open for copy_file_range
  SafetensorsHeader header_;
  std::map<std::string, size_t, std::less<>> by_name_;
};

// Reads only the header of a file (for `inspect` on huge checkpoints): pread of 8 + N bytes,
// validated against the file size.
SafetensorsHeader read_safetensors_header(const std::string& path, uint64_t* file_size = nullptr);

}  // namespace finefp8
