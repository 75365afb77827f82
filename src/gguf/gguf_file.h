#pragma once
// Reading GGUF files (llama.cpp's format, versions 2 and 3): memory-mapped, zero-copy tensor
// data, validated with overflow-checked arithmetic before anything is used. Layout:
//   "GGUF" u32 version  u64 tensor_count  u64 kv_count
//   kv_count x  {string key, u32 value_type, value}     string = u64 length + UTF-8 bytes
//   tensor_count x {string name, u32 n_dims, u64 ne[n_dims], u32 ggml_type, u64 offset}
//   padding to general.alignment (u32, default 32, a power of two)
//   tensor data: offsets relative to here, aligned, non-overlapping, inside the file.
// Every rule of llama.cpp's gguf.cpp is enforced (its CVEs are the checklist: size-sum
// overflow, negative, zero or huge dims, key/type mismatches), plus: no duplicate keys or
// tensor names, no nested arrays, 1-4 dims, ne[0] a whole number of blocks.
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "gguf/gguf_types.h"

namespace finefp8 {

// Metadata value types (gguf_type in gguf.h).
enum class GgufValueType : uint32_t {
  kU8 = 0, kI8 = 1, kU16 = 2, kI16 = 3, kU32 = 4, kI32 = 5, kF32 = 6, kBool = 7, kString = 8,
  kArray = 9, kU64 = 10, kI64 = 11, kF64 = 12,
};
std::string_view gguf_value_type_name(GgufValueType t);  // "u32", "string", "array", ...

// One metadata value. Scalars: integers in `i` (u64 above INT64_MAX in `u`), floats in `f`,
// booleans in `i` (0/1), strings in `s`. Arrays: element type in `elem`, elements in `ints`
// (integer and bool arrays; a u64 element above INT64_MAX reads as -1), `floats` or `strings`.
struct GgufValue {
  GgufValueType type = GgufValueType::kU8;
  GgufValueType elem = GgufValueType::kU8;  // arrays only
  int64_t i = 0;
  uint64_t u = 0;
  double f = 0;
  std::string s;
  std::vector<int64_t> ints;
  std::vector<double> floats;
  std::vector<std::string> strings;
  bool is_integer() const;  // an integer scalar type (not bool)
  size_t array_size() const { return ints.size() + floats.size() + strings.size(); }
};

struct GgufTensorInfo {
  std::string name;
  uint32_t type = 0;           // GgmlType id, known to the type table
  std::vector<uint64_t> ne;    // ggml order: ne[0] is the fastest (column) dimension
  uint64_t offset = 0;         // relative to the data section, a multiple of the alignment
  uint64_t bytes = 0;          // validated: ne[0] a whole number of blocks, no overflow
  uint64_t elements = 0;
  const GgmlTypeInfo& type_info() const { return *ggml_type_info(type); }
  // Hugging Face / PyTorch shape: ne reversed, e.g. ne [576, 1536] -> [1536, 576].
  std::vector<uint64_t> hf_shape() const { return {ne.rbegin(), ne.rend()}; }
};

struct GgufHeader {
  uint32_t version = 0;
  uint64_t alignment = 32;
  uint64_t data_offset = 0;  // absolute file offset of the data section
  std::map<std::string, GgufValue, std::less<>> metadata;
  std::vector<GgufTensorInfo> tensors;  // in file order
};

// Limits beyond the format's own, so a hostile count fails early, not by exhausting memory.
inline constexpr uint64_t kGgufMaxStringBytes = 1ull << 30;
inline constexpr uint64_t kGgufMaxArrayElems = 1ull << 26;  // vocabularies hold < 2^20 tokens
inline constexpr size_t kGgufMaxNameBytes = 63;  // ggml's GGML_MAX_NAME - 1
inline constexpr uint32_t kGgufMaxDims = 4;

// Validates and parses a whole file image. `source` names the file in errors. Throws Error
// for every violation; never reads outside `file`.
GgufHeader parse_gguf(std::span<const uint8_t> file, std::string_view source);

// A memory-mapped, validated GGUF file. Move-only; spans stay valid while it lives.
class GgufFile {
 public:
  static GgufFile open(const std::string& path);
  // Parses an in-memory image (tests, fuzzing); `bytes` must outlive the object.
  static GgufFile from_memory(std::span<const uint8_t> bytes, std::string name);
  GgufFile(GgufFile&&) noexcept;
  GgufFile& operator=(GgufFile&&) noexcept;
  ~GgufFile();

  const std::string& path() const { return path_; }
  const GgufHeader& header() const { return header_; }
  uint32_t version() const { return header_.version; }
  const std::vector<GgufTensorInfo>& tensors() const { return header_.tensors; }
  uint64_t file_size() const { return size_; }

  // nullptr if absent. O(log n).
  const GgufValue* find(std::string_view key) const;
  const GgufTensorInfo* find_tensor(std::string_view name) const;
  // Typed access: Error naming the file and key if absent or of another type.
  std::string get_string(std::string_view key) const;
  // Any integer type, value in [0, max]; Error for strings, floats, bools, negatives.
  uint64_t get_uint(std::string_view key, uint64_t max = UINT64_MAX) const;
  double get_float(std::string_view key) const;  // f32 or f64
  bool get_bool(std::string_view key) const;
  const std::vector<std::string>& get_string_array(std::string_view key) const;
  // Array of any numeric type as doubles (token scores; token types as ints with get_int_array).
  std::vector<double> get_float_array(std::string_view key) const;
  const std::vector<int64_t>& get_int_array(std::string_view key) const;
  // The same, with a default when the key is absent (still Error on a type mismatch).
  std::optional<std::string> string_or(std::string_view key) const;
  std::optional<uint64_t> uint_or(std::string_view key, uint64_t max = UINT64_MAX) const;
  std::optional<double> float_or(std::string_view key) const;
  std::optional<bool> bool_or(std::string_view key) const;

  // The bytes of a tensor inside the mapping.
  std::span<const uint8_t> data(const GgufTensorInfo& t) const;
  // Dequantizes rows [row_begin, row_end) of a tensor viewed as (elements / ne[0], ne[0])
  // into `out` ((row_end - row_begin) * ne[0] floats). Error if the type has no dequantizer.
  void dequantize_rows(const GgufTensorInfo& t, uint64_t row_begin, uint64_t row_end,
                       std::span<float> out) const;
  // Drops the tensor's pages from resident memory (they stay in the page cache).
  void release(const GgufTensorInfo& t) const;

 private:
  GgufFile() = default;
  const GgufValue& need(std::string_view key) const;
  [[noreturn]] void type_error(std::string_view key, const GgufValue& v, std::string_view want) const;
  std::string path_;
  const uint8_t* map_ = nullptr;
  uint64_t size_ = 0;
  bool owned_ = false;  // map_ is an mmap to unmap
  GgufHeader header_;
  std::map<std::string, size_t, std::less<>> by_name_;
};

}  // namespace finefp8
