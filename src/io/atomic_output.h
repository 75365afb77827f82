#pragma once
// Outputs that appear under their final name only when complete: write to a temporary
// sibling, then rename. If the object is destroyed before commit() (an error, an
// exception), the temporary is removed and nothing exists under the final name.
#include <filesystem>
#include <string>

namespace finefp8 {

// A temporary directory `<final>.tmp-<pid>-<n>` next to `final_dir`, renamed to `final_dir`
// by commit(). commit() with `overwrite` replaces an existing `final_dir`; without it an
// existing `final_dir` is an Error (checked already at construction, so no work is wasted).
class AtomicDirectory {
 public:
  AtomicDirectory(std::filesystem::path final_dir, bool overwrite);
  AtomicDirectory(const AtomicDirectory&) = delete;
  AtomicDirectory& operator=(const AtomicDirectory&) = delete;
  ~AtomicDirectory();

  const std::filesystem::path& temp_path() const { return temp_; }
  const std::filesystem::path& final_path() const { return final_; }
  void commit();

 private:
  std::filesystem::path final_, temp_;
  bool overwrite_;
  bool committed_ = false;
};

// Writes `bytes` to `path` atomically (temporary sibling, fsync, rename).
void write_file_atomic(const std::filesystem::path& path, std::string_view bytes);

// Unique temporary sibling name for `path`.
std::filesystem::path temp_sibling(const std::filesystem::path& path);

}  // namespace finefp8
