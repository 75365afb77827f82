#include "io/safetensors.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <set>

#include <nlohmann/json.hpp>

#include "util/error.h"

namespace finefp8 {

uint64_t TensorInfo::elements() const {
  uint64_t n = 1;
  for (uint64_t d : shape) n *= d;  // overflow ruled out by parse_safetensors
  return n;
}

namespace {

using json = nlohmann::json;

// Strict UTF-8 (no overlongs, no surrogates, <= U+10FFFF). Returns the offset of the first
// bad byte, or npos.
size_t find_invalid_utf8(std::span<const uint8_t> s) {
  size_t i = 0;
  while (i < s.size()) {
    const uint8_t c = s[i];
    if (c < 0x80) { ++i; continue; }
    size_t len;
    uint32_t cp, min;
    if ((c & 0xE0) == 0xC0) { len = 2; cp = c & 0x1F; min = 0x80; }
    else if ((c & 0xF0) == 0xE0) { len = 3; cp = c & 0x0F; min = 0x800; }
    else if ((c & 0xF8) == 0xF0) { len = 4; cp = c & 0x07; min = 0x10000; }
    else return i;
    if (i + len > s.size()) return i;
    for (size_t k = 1; k < len; ++k) {
      if ((s[i + k] & 0xC0) != 0x80) return i;
      cp = (cp << 6) | (s[i + k] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return i;
    i += len;
  }
  return std::string_view::npos;
}

// Parses JSON rejecting duplicate keys in any object (nlohmann would keep the last).
json parse_json_no_duplicates(std::string_view text, std::string_view source) {
  std::vector<std::set<std::string>> keys;
  std::string duplicate;
  json::parser_callback_t cb = [&](int /*depth*/, json::parse_event_t event, json& parsed) {
    if (event == json::parse_event_t::object_start) keys.emplace_back();
    else if (event == json::parse_event_t::object_end) keys.pop_back();
    else if (event == json::parse_event_t::key && !keys.empty() &&
             !keys.back().insert(parsed.get<std::string>()).second && duplicate.empty()) {
      duplicate = parsed.get<std::string>();
    }
    return true;
  };
  json j;
  try {
    j = json::parse(text.begin(), text.end(), cb);
  } catch (const json::exception& e) {
    fail("{}: the header is not valid JSON ({})", source, e.what());
  }
  if (!duplicate.empty()) fail("{}: the header has the key '{}' more than once", source, duplicate);
  return j;
}

uint64_t get_u64(const json& v, std::string_view source, std::string_view tensor,
                 std::string_view field) {
  if (!v.is_number_unsigned()) {
    fail("{}: tensor '{}': {} entries must be non-negative integers, got {}", source, tensor,
         field, v.dump());
  }
  return v.get<uint64_t>();
}

TensorInfo parse_tensor_entry(const std::string& name, const json& v, std::string_view source) {
  if (!v.is_object()) fail("{}: tensor '{}': entry must be an object, got {}", source, name, v.dump());
  for (const char* field : {"dtype", "shape", "data_offsets"}) {
    if (!v.contains(field)) fail("{}: tensor '{}': missing '{}'", source, name, field);
  }
  TensorInfo t;
  t.name = name;
  const json& dt = v.at("dtype");
  if (!dt.is_string()) fail("{}: tensor '{}': dtype must be a string", source, name);
  const auto dtype = dtype_from_name(dt.get<std::string>());
  if (!dtype) fail("{}: tensor '{}': unknown dtype '{}'", source, name, dt.get<std::string>());
  t.dtype = *dtype;
  const json& shape = v.at("shape");
  if (!shape.is_array()) fail("{}: tensor '{}': shape must be an array", source, name);
  uint64_t elements = 1;
  for (const json& d : shape) {
    const uint64_t dim = get_u64(d, source, name, "shape");
    if (dim != 0 && elements > UINT64_MAX / dim) {
      fail("{}: tensor '{}': shape {} overflows the element count", source, name, shape.dump());
    }
    elements *= dim;
    t.shape.push_back(dim);
  }
  const std::optional<uint64_t> bytes = tensor_bytes(t.dtype, elements);
  if (!bytes) {
    fail("{}: tensor '{}': shape {} of {} overflows the byte size or is not a whole number of "
         "bytes", source, name, shape.dump(), dtype_name(t.dtype));
  }
  const json& off = v.at("data_offsets");
  if (!off.is_array() || off.size() != 2) {
    fail("{}: tensor '{}': data_offsets must be [begin, end]", source, name);
  }
  t.begin = get_u64(off[0], source, name, "data_offsets");
  t.end = get_u64(off[1], source, name, "data_offsets");
  if (t.end < t.begin) {
    fail("{}: tensor '{}': data_offsets [{}, {}] end before begin", source, name, t.begin, t.end);
  }
  if (t.end - t.begin != *bytes) {
    fail("{}: tensor '{}': data_offsets [{}, {}] hold {} bytes but {} {} needs {} bytes", source,
         name, t.begin, t.end, t.end - t.begin, dtype_name(t.dtype), shape.dump(), *bytes);
  }
  return t;
}

// Opens `path` read-only; Error unless it is a regular file. Returns the fd, sets *size.
int open_regular_file(const std::string& path, uint64_t* size) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) fail("{}: cannot open: {}", path, std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    fail("{}: not a regular file", path);
  }
  *size = uint64_t(st.st_size);
  return fd;
}

}  // namespace

SafetensorsHeader parse_safetensors_header(std::span<const uint8_t> prefix, uint64_t file_size,
                                           std::string_view source) {
  if (file_size < 8 || prefix.size() < 8) {
    fail("{}: not a safetensors file: {} bytes, shorter than the 8-byte header length", source,
         file_size);
  }
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | prefix[i];
  if (n > kMaxSafetensorsHeader) {
    fail("{}: header length {} exceeds the limit of {} bytes (corrupt or not a safetensors "
         "file)", source, n, kMaxSafetensorsHeader);
  }
  if (n > file_size - 8) {
    fail("{}: header length {} runs past the end of the file ({} bytes): truncated or not a "
         "safetensors file", source, n, file_size);
  }
  if (prefix.size() < 8 + n) {
    fail("{}: only {} of the {} header bytes could be read", source, prefix.size() - 8, n);
  }
  const auto header = prefix.subspan(8, n);
  if (const size_t bad = find_invalid_utf8(header); bad != std::string_view::npos) {
    fail("{}: header is not valid UTF-8 (byte {} of the header)", source, bad);
  }
  const std::string_view text(reinterpret_cast<const char*>(header.data()), header.size());
  // JSON text never holds a raw NUL; nlohmann's parser would stop at one and accept the rest.
  if (const size_t nul = text.find('\0'); nul != std::string_view::npos) {
    fail("{}: the header is not valid JSON (NUL byte at offset {} of the header)", source, nul);
  }
  const json j = parse_json_no_duplicates(text, source);
  if (!j.is_object()) fail("{}: header must be a JSON object", source);

  SafetensorsHeader h;
  h.header_bytes = n;
  for (const auto& [key, value] : j.items()) {
    if (key == "__metadata__") {
      if (value.is_null()) continue;
      if (!value.is_object()) fail("{}: __metadata__ must be an object of strings", source);
      for (const auto& [mk, mv] : value.items()) {
        if (!mv.is_string()) {
          fail("{}: __metadata__['{}'] must be a string, got {}", source, mk, mv.dump());
        }
        h.metadata[mk] = mv.get<std::string>();
      }
      continue;
    }
    h.tensors.push_back(parse_tensor_entry(key, value, source));
  }
  std::sort(h.tensors.begin(), h.tensors.end(), [](const TensorInfo& a, const TensorInfo& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
  });
  uint64_t expected = 0;
  for (const TensorInfo& t : h.tensors) {
    if (t.begin != expected) {
      fail("{}: tensor '{}': data_offsets [{}, {}] {} (expected it to start at byte {})", source,
           t.name, t.begin, t.end, t.begin < expected ? "overlap the previous tensor" : "leave a hole",
           expected);
    }
    expected = t.end;
  }
  const uint64_t data_size = file_size - 8 - n;
  if (expected != data_size) {
    fail("{}: tensors cover {} bytes of data but the file holds {} ({})", source, expected,
         data_size, expected < data_size ? "trailing bytes" : "truncated file");
  }
  return h;
}

SafetensorsFile SafetensorsFile::open(const std::string& path) {
  SafetensorsFile f;
  f.path_ = path;
  const int fd = open_regular_file(path, &f.size_);
  if (f.size_ > 0) {
    void* p = ::mmap(nullptr, f.size_, PROT_READ, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED) {
      const int err = errno;
      ::close(fd);
      fail("{}: cannot map {} bytes: {}", path, f.size_, std::strerror(err));
    }
    f.map_ = static_cast<const uint8_t*>(p);
  }
  f.fd_ = fd;
  f.header_ = parse_safetensors({f.map_, f.size_}, path);  // on throw, ~SafetensorsFile unmaps
  for (size_t i = 0; i < f.header_.tensors.size(); ++i) f.by_name_[f.header_.tensors[i].name] = i;
  return f;
}

SafetensorsFile::SafetensorsFile(SafetensorsFile&& o) noexcept { *this = std::move(o); }

SafetensorsFile& SafetensorsFile::operator=(SafetensorsFile&& o) noexcept {
  if (this != &o) {
    if (map_ != nullptr) ::munmap(const_cast<uint8_t*>(map_), size_);
    path_ = std::move(o.path_);
    if (fd_ >= 0) ::close(fd_);
    map_ = std::exchange(o.map_, nullptr);
    size_ = std::exchange(o.size_, 0);
    fd_ = std::exchange(o.fd_, -1);
    header_ = std::move(o.header_);
    by_name_ = std::move(o.by_name_);
  }
  return *this;
}

SafetensorsFile::~SafetensorsFile() {
  if (map_ != nullptr) ::munmap(const_cast<uint8_t*>(map_), size_);
  if (fd_ >= 0) ::close(fd_);
}

const TensorInfo* SafetensorsFile::find(std::string_view name) const {
  const auto it = by_name_.find(name);
  return it == by_name_.end() ? nullptr : &header_.tensors[it->second];
}

TensorView SafetensorsFile::view(const TensorInfo& info) const {
  return {&info, {map_ + header_.data_offset() + info.begin, info.bytes()}};
}

void SafetensorsFile::release(const TensorInfo& info) const {
  if (map_ == nullptr || info.bytes() == 0) return;
  const uint64_t page = uint64_t(::sysconf(_SC_PAGESIZE));
  const uint64_t begin = header_.data_offset() + info.begin, end = begin + info.bytes();
  // Whole pages inside the tensor only: the neighbours may still be in use.
  const uint64_t first = (begin + page - 1) / page * page, last = end / page * page;
  if (last > first) ::madvise(const_cast<uint8_t*>(map_) + first, last - first, MADV_DONTNEED);
}

TensorView SafetensorsFile::tensor(std::string_view name) const {
  const TensorInfo* info = find(name);
  if (info == nullptr) fail("{}: no tensor named '{}'", path_, name);
  return view(*info);
}

SafetensorsHeader parse_safetensors(std::span<const uint8_t> file, std::string_view source) {
  return parse_safetensors_header(file, file.size(), source);
}

SafetensorsHeader read_safetensors_header(const std::string& path, uint64_t* file_size) {
  uint64_t size = 0;
  const int fd = open_regular_file(path, &size);
  if (file_size != nullptr) *file_size = size;
  std::vector<uint8_t> buf(std::min<uint64_t>(size, 8));
  uint64_t n = 0;
  bool ok = ::pread(fd, buf.data(), buf.size(), 0) == ssize_t(buf.size());
  if (ok && buf.size() == 8) {
    for (int i = 7; i >= 0; --i) n = (n << 8) | buf[i];
    if (n <= kMaxSafetensorsHeader && n <= size - 8) {
      buf.resize(8 + n);
      ok = ::pread(fd, buf.data(), buf.size(), 0) == ssize_t(buf.size());
    }
  }
  const int err = errno;
  ::close(fd);
  if (!ok) fail("{}: read error: {}", path, std::strerror(err));
  return parse_safetensors_header(buf, size, path);
}

}  // namespace finefp8
