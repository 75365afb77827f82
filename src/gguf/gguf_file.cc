#include "gguf/gguf_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <set>
#include <utility>

#include "util/error.h"

namespace finefp8 {

std::string_view gguf_value_type_name(GgufValueType t) {
  static constexpr std::string_view kNames[] = {"u8",  "i8",     "u16",   "i16", "u32",
                                                "i32", "f32",    "bool",  "string", "array",
                                                "u64", "i64",    "f64"};
  const auto i = uint32_t(t);
  return i < std::size(kNames) ? kNames[i] : "unknown";
}

bool GgufValue::is_integer() const {
  switch (type) {
    case GgufValueType::kU8: case GgufValueType::kI8: case GgufValueType::kU16:
    case GgufValueType::kI16: case GgufValueType::kU32: case GgufValueType::kI32:
    case GgufValueType::kU64: case GgufValueType::kI64:
      return true;
    default:
      return false;
  }
}

namespace {

// Size in bytes of a fixed-size value type; 0 for string and array.
uint64_t fixed_size(GgufValueType t) {
  switch (t) {
    case GgufValueType::kU8: case GgufValueType::kI8: case GgufValueType::kBool: return 1;
    case GgufValueType::kU16: case GgufValueType::kI16: return 2;
    case GgufValueType::kU32: case GgufValueType::kI32: case GgufValueType::kF32: return 4;
    case GgufValueType::kU64: case GgufValueType::kI64: case GgufValueType::kF64: return 8;
    default: return 0;
  }
}

// A bounds-checked little-endian cursor over the file image. Every read checks the bytes
// left first, so no count or length can make it read past the end.
class Cursor {
 public:
  Cursor(std::span<const uint8_t> file, std::string_view source) : file_(file), source_(source) {}
  uint64_t pos() const { return pos_; }
  uint64_t left() const { return file_.size() - pos_; }
  std::string_view source() const { return source_; }

  template <typename T>
  T read(std::string_view what) {
    need(sizeof(T), what);
    T v;
    std::memcpy(&v, file_.data() + pos_, sizeof(T));
    pos_ += sizeof(T);
    return v;
  }
  std::string read_string(std::string_view what) {
    const uint64_t n = read<uint64_t>(what);
    if (n > kGgufMaxStringBytes) {
      fail("{}: {} is {} bytes long, more than the limit of {} (corrupt file)", source_, what, n,
           kGgufMaxStringBytes);
    }
    need(n, what);
    std::string s(reinterpret_cast<const char*>(file_.data() + pos_), n);
    pos_ += n;
    return s;
  }
  void need(uint64_t n, std::string_view what) const {
    if (n > left()) {
      fail("{}: {} runs past the end of the file (needs {} bytes at offset {}, {} left): "
           "truncated or corrupt", source_, what, n, pos_, left());
    }
  }

 private:
  std::span<const uint8_t> file_;
  std::string_view source_;
  uint64_t pos_ = 0;
};

GgufValueType read_value_type(Cursor& c, std::string_view key) {
  const uint32_t t = c.read<uint32_t>(fmt::format("the type of key '{}'", key));
  if (t > uint32_t(GgufValueType::kF64)) fail("{}: key '{}' has unknown value type {}", c.source(), key, t);
  return GgufValueType(t);
}

// One scalar of fixed-size type `t` into v (integers to i/u, floats to f).
void read_scalar(Cursor& c, GgufValueType t, std::string_view key, int64_t* i, uint64_t* u, double* f) {
  const std::string what = fmt::format("the value of key '{}'", key);
  switch (t) {
    case GgufValueType::kU8: *i = c.read<uint8_t>(what); break;
    case GgufValueType::kI8: *i = c.read<int8_t>(what); break;
    case GgufValueType::kU16: *i = c.read<uint16_t>(what); break;
    case GgufValueType::kI16: *i = c.read<int16_t>(what); break;
    case GgufValueType::kU32: *i = c.read<uint32_t>(what); break;
    case GgufValueType::kI32: *i = c.read<int32_t>(what); break;
    case GgufValueType::kU64: {
      *u = c.read<uint64_t>(what);
      *i = *u > uint64_t(INT64_MAX) ? -1 : int64_t(*u);
      return;
    }
    case GgufValueType::kI64: *i = c.read<int64_t>(what); break;
    case GgufValueType::kF32: *f = c.read<float>(what); return;
    case GgufValueType::kF64: *f = c.read<double>(what); return;
    case GgufValueType::kBool: {
      const uint8_t b = c.read<uint8_t>(what);
      if (b > 1) fail("{}: key '{}': boolean value {} is neither 0 nor 1", c.source(), key, b);
      *i = b;
      break;
    }
    default: FINEFP8_ASSERT(false);
  }
  *u = *i >= 0 ? uint64_t(*i) : 0;
}

GgufValue read_value(Cursor& c, GgufValueType t, std::string_view key) {
  GgufValue v;
  v.type = t;
  if (t == GgufValueType::kString) {
    v.s = c.read_string(fmt::format("the value of key '{}'", key));
    return v;
  }
  if (t != GgufValueType::kArray) {
    read_scalar(c, t, key, &v.i, &v.u, &v.f);
    return v;
  }
  v.elem = read_value_type(c, key);
  if (v.elem == GgufValueType::kArray) {
    fail("{}: key '{}' is an array of arrays, which GGUF readers do not support", c.source(), key);
  }
  const uint64_t n = c.read<uint64_t>(fmt::format("the length of array '{}'", key));
  if (n > kGgufMaxArrayElems) {
    fail("{}: array '{}' has {} elements, more than the limit of {}", c.source(), key, n, kGgufMaxArrayElems);
  }
  // Each element takes at least its fixed size (8 bytes for a string's length): a count the
  // rest of the file cannot hold is rejected before any allocation.
  const uint64_t min_size = v.elem == GgufValueType::kString ? 8 : fixed_size(v.elem);
  uint64_t min_bytes;
  if (__builtin_mul_overflow(n, min_size, &min_bytes) || min_bytes > c.left()) {
    fail("{}: array '{}' claims {} elements of type {}, more than the rest of the file ({} "
         "bytes) can hold", c.source(), key, n, gguf_value_type_name(v.elem), c.left());
  }
  if (v.elem == GgufValueType::kString) {
    v.strings.reserve(n);
    for (uint64_t k = 0; k < n; ++k) v.strings.push_back(c.read_string(fmt::format("element {} of array '{}'", k, key)));
  } else if (v.elem == GgufValueType::kF32 || v.elem == GgufValueType::kF64) {
    v.floats.resize(n);
    int64_t i;
    uint64_t u;
    for (uint64_t k = 0; k < n; ++k) read_scalar(c, v.elem, key, &i, &u, &v.floats[k]);
  } else {
    v.ints.resize(n);
    uint64_t u;
    double f;
    for (uint64_t k = 0; k < n; ++k) read_scalar(c, v.elem, key, &v.ints[k], &u, &f);
  }
  return v;
}

// Token ids in the tokenizer metadata index the token list; parallel arrays match its length.
void check_tokenizer_metadata(const GgufHeader& h, std::string_view source) {
  const auto it = h.metadata.find("tokenizer.ggml.tokens");
  if (it == h.metadata.end()) return;
  const GgufValue& tokens = it->second;
  if (tokens.type != GgufValueType::kArray || tokens.elem != GgufValueType::kString) {
    fail("{}: key 'tokenizer.ggml.tokens' must be an array of strings", source);
  }
  const uint64_t n = tokens.strings.size();
  if (n == 0) fail("{}: key 'tokenizer.ggml.tokens' is empty", source);
  for (const char* key : {"tokenizer.ggml.scores", "tokenizer.ggml.token_type"}) {
    const auto a = h.metadata.find(key);
    if (a == h.metadata.end()) continue;
    if (a->second.type != GgufValueType::kArray || a->second.elem == GgufValueType::kString) {
      fail("{}: key '{}' must be a numeric array", source, key);
    }
    if (a->second.array_size() != n) {
      fail("{}: key '{}' has {} entries but tokenizer.ggml.tokens has {}", source, key,
           a->second.array_size(), n);
    }
  }
  for (const auto& [key, v] : h.metadata) {
    if (!key.starts_with("tokenizer.ggml.") || !key.ends_with("_token_id")) continue;
    if (!v.is_integer()) {
      fail("{}: key '{}' has type {}, expected an integer token id", source, key, gguf_value_type_name(v.type));
    }
    if (v.i < 0 || uint64_t(v.i) >= n) {
      fail("{}: key '{}' = {} is out of range: the vocabulary has {} tokens", source, key,
           v.type == GgufValueType::kU64 ? fmt::to_string(v.u) : fmt::to_string(v.i), n);
    }
  }
}

}  // namespace

GgufHeader parse_gguf(std::span<const uint8_t> file, std::string_view source) {
  Cursor c(file, source);
  if (file.size() < 4 || std::memcmp(file.data(), "GGUF", 4) != 0) {
    fail("{}: not a GGUF file (the first 4 bytes are not the magic 'GGUF')", source);
  }
  (void)c.read<uint32_t>("the magic");
  GgufHeader h;
  h.version = c.read<uint32_t>("the version");
  if (h.version == 1) {
    fail("{}: GGUF version 1 is not supported (only versions 2 and 3); re-convert the model "
         "with a current llama.cpp", source);
  }
  if (h.version != 2 && h.version != 3) {
    const bool swapped = h.version == 0x02000000u || h.version == 0x03000000u;
    fail("{}: unsupported GGUF version {}{} (only versions 2 and 3)", source, h.version,
         swapped ? " (a big-endian file?)" : "");
  }
  const uint64_t n_tensors = c.read<uint64_t>("the tensor count");
  const uint64_t n_kv = c.read<uint64_t>("the metadata count");
  // Minimal sizes: a key/value is >= 8 + 1 + 4 + 1 bytes, a tensor info >= 8 + 1 + 4 + 8 + 4 + 8.
  if (n_kv > c.left() / 14) {
    fail("{}: metadata count {} is more than the file ({} bytes) can hold", source, n_kv, file.size());
  }
  if (n_tensors > c.left() / 33) {
    fail("{}: tensor count {} is more than the file ({} bytes) can hold", source, n_tensors, file.size());
  }
  for (uint64_t k = 0; k < n_kv; ++k) {
    std::string key = c.read_string(fmt::format("key {}", k));
    if (key.empty()) fail("{}: metadata key {} is empty", source, k);
    if (h.metadata.count(key) != 0) fail("{}: key '{}' appears more than once", source, key);
    const GgufValueType t = read_value_type(c, key);
    h.metadata.emplace(key, read_value(c, t, key));
  }
  if (const auto it = h.metadata.find("general.alignment"); it != h.metadata.end()) {
    if (it->second.type != GgufValueType::kU32) {
      fail("{}: key 'general.alignment' has type {}, expected u32", source, gguf_value_type_name(it->second.type));
    }
    const uint64_t a = it->second.u;
    if (a == 0 || (a & (a - 1)) != 0) {
      fail("{}: general.alignment = {} is not a power of two", source, a);
    }
    h.alignment = a;
  }
  check_tokenizer_metadata(h, source);

  std::set<std::string, std::less<>> names;
  for (uint64_t k = 0; k < n_tensors; ++k) {
    GgufTensorInfo t;
    t.name = c.read_string(fmt::format("the name of tensor {}", k));
    if (t.name.empty()) fail("{}: tensor {} has an empty name", source, k);
    if (t.name.size() > kGgufMaxNameBytes) {
      fail("{}: tensor {} has a name of {} bytes, longer than ggml's limit of {}", source, k,
           t.name.size(), kGgufMaxNameBytes);
    }
    if (!names.insert(t.name).second) fail("{}: tensor '{}' appears more than once", source, t.name);
    const uint32_t n_dims = c.read<uint32_t>(fmt::format("tensor '{}'", t.name));
    if (n_dims == 0 || n_dims > kGgufMaxDims) {
      fail("{}: tensor '{}' has {} dimensions (must be 1 to {})", source, t.name, n_dims, kGgufMaxDims);
    }
    uint64_t elements = 1;
    for (uint32_t d = 0; d < n_dims; ++d) {
      const uint64_t ne = c.read<uint64_t>(fmt::format("tensor '{}'", t.name));
      if (ne == 0) fail("{}: tensor '{}': dimension {} is zero", source, t.name, d);
      // ggml keeps dims as int64_t: a value >= 2^63 would be negative there.
      if (ne > uint64_t(INT64_MAX) || __builtin_mul_overflow(elements, ne, &elements) ||
          elements > uint64_t(INT64_MAX)) {
        fail("{}: tensor '{}': dimension {} = {} makes the element count overflow", source,
             t.name, d, ne);
      }
      t.ne.push_back(ne);
    }
    t.elements = elements;
    t.type = c.read<uint32_t>(fmt::format("tensor '{}'", t.name));
    const GgmlTypeInfo* ti = ggml_type_info(t.type);
    if (ti == nullptr) fail("{}: tensor '{}' has unknown ggml type {}", source, t.name, t.type);
    if (t.ne[0] % ti->block_elems != 0) {
      fail("{}: tensor '{}': row length {} is not a multiple of the {}-element blocks of {}",
           source, t.name, t.ne[0], ti->block_elems, ti->name);
    }
    const auto row = ggml_row_bytes(*ti, t.ne[0]);
    if (!row || __builtin_mul_overflow(*row, elements / t.ne[0], &t.bytes)) {
      fail("{}: tensor '{}': byte size overflows", source, t.name);
    }
    t.offset = c.read<uint64_t>(fmt::format("tensor '{}'", t.name));
    if (t.offset % h.alignment != 0) {
      fail("{}: tensor '{}': data offset {} is not a multiple of the alignment {}", source,
           t.name, t.offset, h.alignment);
    }
    h.tensors.push_back(std::move(t));
  }

  uint64_t data = c.pos();
  if (__builtin_add_overflow(data, h.alignment - 1, &data)) fail("{}: data offset overflows", source);
  data -= data % h.alignment;
  h.data_offset = data;
  if (!h.tensors.empty() && data > file.size()) {
    fail("{}: the data section (offset {}) starts past the end of the file ({} bytes): truncated",
         source, data, file.size());
  }
  const uint64_t data_size = data <= file.size() ? file.size() - data : 0;
  std::vector<const GgufTensorInfo*> by_offset;
  for (const GgufTensorInfo& t : h.tensors) {
    uint64_t end;
    if (__builtin_add_overflow(t.offset, t.bytes, &end) || end > data_size) {
      fail("{}: tensor '{}': data [{}, +{}) runs past the end of the file (data section holds "
           "{} bytes): truncated or corrupt", source, t.name, t.offset, t.bytes, data_size);
    }
    by_offset.push_back(&t);
  }
  std::sort(by_offset.begin(), by_offset.end(),
            [](const auto* a, const auto* b) { return a->offset < b->offset; });
  for (size_t k = 1; k < by_offset.size(); ++k) {
    const GgufTensorInfo& prev = *by_offset[k - 1];
    if (by_offset[k]->offset < prev.offset + prev.bytes) {
      fail("{}: tensor '{}' overlaps tensor '{}' in the data section", source, by_offset[k]->name, prev.name);
    }
  }
  return h;
}

GgufFile GgufFile::open(const std::string& path) {
  GgufFile f;
  f.path_ = path;
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) fail("{}: cannot open: {}", path, std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    fail("{}: not a regular file", path);
  }
  f.size_ = uint64_t(st.st_size);
  if (f.size_ > 0) {
    void* p = ::mmap(nullptr, f.size_, PROT_READ, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED) {
      const int err = errno;
      ::close(fd);
      fail("{}: cannot map {} bytes: {}", path, f.size_, std::strerror(err));
    }
    f.map_ = static_cast<const uint8_t*>(p);
    f.owned_ = true;
  }
  ::close(fd);
  f.header_ = parse_gguf({f.map_, f.size_}, path);  // on throw, ~GgufFile unmaps
  for (size_t i = 0; i < f.header_.tensors.size(); ++i) f.by_name_[f.header_.tensors[i].name] = i;
  return f;
}

GgufFile GgufFile::from_memory(std::span<const uint8_t> bytes, std::string name) {
  GgufFile f;
  f.path_ = std::move(name);
  f.map_ = bytes.data();
  f.size_ = bytes.size();
  f.header_ = parse_gguf(bytes, f.path_);
  for (size_t i = 0; i < f.header_.tensors.size(); ++i) f.by_name_[f.header_.tensors[i].name] = i;
  return f;
}

GgufFile::GgufFile(GgufFile&& o) noexcept { *this = std::move(o); }

GgufFile& GgufFile::operator=(GgufFile&& o) noexcept {
  if (this != &o) {
    if (owned_ && map_ != nullptr) ::munmap(const_cast<uint8_t*>(map_), size_);
    path_ = std::move(o.path_);
    map_ = std::exchange(o.map_, nullptr);
    size_ = std::exchange(o.size_, 0);
    owned_ = std::exchange(o.owned_, false);
    header_ = std::move(o.header_);
    by_name_ = std::move(o.by_name_);
  }
  return *this;
}

GgufFile::~GgufFile() {
  if (owned_ && map_ != nullptr) ::munmap(const_cast<uint8_t*>(map_), size_);
}

const GgufValue* GgufFile::find(std::string_view key) const {
  const auto it = header_.metadata.find(key);
  return it == header_.metadata.end() ? nullptr : &it->second;
}

const GgufTensorInfo* GgufFile::find_tensor(std::string_view name) const {
  const auto it = by_name_.find(name);
  return it == by_name_.end() ? nullptr : &header_.tensors[it->second];
}

const GgufValue& GgufFile::need(std::string_view key) const {
  const GgufValue* v = find(key);
  if (v == nullptr) fail("{}: missing metadata key '{}'", path_, key);
  return *v;
}

void GgufFile::type_error(std::string_view key, const GgufValue& v, std::string_view want) const {
  std::string have(gguf_value_type_name(v.type));
  if (v.type == GgufValueType::kArray) have = fmt::format("array of {}", gguf_value_type_name(v.elem));
  fail("{}: key '{}' has type {}, expected {}", path_, key, have, want);
}

std::string GgufFile::get_string(std::string_view key) const {
  const GgufValue& v = need(key);
  if (v.type != GgufValueType::kString) type_error(key, v, "string");
  return v.s;
}

uint64_t GgufFile::get_uint(std::string_view key, uint64_t max) const {
  const GgufValue& v = need(key);
  if (!v.is_integer()) type_error(key, v, "an unsigned integer");
  if (v.type == GgufValueType::kU64 ? v.u > max : (v.i < 0 || uint64_t(v.i) > max)) {
    fail("{}: key '{}' = {} is out of range (0 to {})", path_, key,
         v.type == GgufValueType::kU64 ? fmt::to_string(v.u) : fmt::to_string(v.i), max);
  }
  return v.type == GgufValueType::kU64 ? v.u : uint64_t(v.i);
}

double GgufFile::get_float(std::string_view key) const {
  const GgufValue& v = need(key);
  if (v.type != GgufValueType::kF32 && v.type != GgufValueType::kF64) type_error(key, v, "f32");
  return v.f;
}

bool GgufFile::get_bool(std::string_view key) const {
  const GgufValue& v = need(key);
  if (v.type != GgufValueType::kBool) type_error(key, v, "bool");
  return v.i != 0;
}

const std::vector<std::string>& GgufFile::get_string_array(std::string_view key) const {
  const GgufValue& v = need(key);
  if (v.type != GgufValueType::kArray || v.elem != GgufValueType::kString) type_error(key, v, "array of string");
  return v.strings;
}

std::vector<double> GgufFile::get_float_array(std::string_view key) const {
  const GgufValue& v = need(key);
  if (v.type != GgufValueType::kArray || v.elem == GgufValueType::kString) type_error(key, v, "numeric array");
  if (!v.floats.empty() || v.ints.empty()) return v.floats;
  return {v.ints.begin(), v.ints.end()};
}

const std::vector<int64_t>& GgufFile::get_int_array(std::string_view key) const {
  const GgufValue& v = need(key);
  if (v.type != GgufValueType::kArray || v.elem == GgufValueType::kString || v.elem == GgufValueType::kF32 ||
      v.elem == GgufValueType::kF64) {
    type_error(key, v, "integer array");
  }
  return v.ints;
}

std::optional<std::string> GgufFile::string_or(std::string_view key) const {
  return find(key) == nullptr ? std::nullopt : std::optional(get_string(key));
}
std::optional<uint64_t> GgufFile::uint_or(std::string_view key, uint64_t max) const {
  return find(key) == nullptr ? std::nullopt : std::optional(get_uint(key, max));
}
std::optional<double> GgufFile::float_or(std::string_view key) const {
  return find(key) == nullptr ? std::nullopt : std::optional(get_float(key));
}
std::optional<bool> GgufFile::bool_or(std::string_view key) const {
  return find(key) == nullptr ? std::nullopt : std::optional(get_bool(key));
}

std::span<const uint8_t> GgufFile::data(const GgufTensorInfo& t) const {
  return {map_ + header_.data_offset + t.offset, t.bytes};
}

void GgufFile::dequantize_rows(const GgufTensorInfo& t, uint64_t row_begin, uint64_t row_end,
                               std::span<float> out) const {
  const GgmlTypeInfo& ti = t.type_info();
  if (ti.to_f32 == nullptr) {
    fail("{}: tensor '{}' has type {}, which finefp8 cannot dequantize yet (supported: {})",
         path_, t.name, ti.name, ggml_dequantizable_types());
  }
  const uint64_t rows = t.elements / t.ne[0];
  FINEFP8_ASSERT(row_begin <= row_end && row_end <= rows);
  FINEFP8_ASSERT(out.size() == (row_end - row_begin) * t.ne[0]);
  const uint64_t row_bytes = t.ne[0] / ti.block_elems * ti.block_bytes;
  ti.to_f32(data(t).data() + row_begin * row_bytes, (row_end - row_begin) * (t.ne[0] / ti.block_elems),
            out.data());
}

void GgufFile::release(const GgufTensorInfo& t) const {
  if (!owned_ || t.bytes == 0) return;
  const uint64_t page = uint64_t(::sysconf(_SC_PAGESIZE));
  const uint64_t begin = header_.data_offset + t.offset, end = begin + t.bytes;
  const uint64_t first = (begin + page - 1) / page * page, last = end / page * page;
  if (last > first) ::madvise(const_cast<uint8_t*>(map_) + first, last - first, MADV_DONTNEED);
}

}  // namespace finefp8
