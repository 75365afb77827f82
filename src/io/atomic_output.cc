#include "io/atomic_output.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>

#include "util/error.h"

namespace finefp8 {
namespace fs = std::filesystem;

fs::path temp_sibling(const fs::path& path) {
  static std::atomic<int> counter{0};
  return fs::path(path.string() + ".tmp-" + std::to_string(::getpid()) + "-" +
                  std::to_string(counter++));
}

AtomicDirectory::AtomicDirectory(fs::path final_dir, bool overwrite)
    : final_(std::move(final_dir)), overwrite_(overwrite) {
  std::error_code ec;
  if (final_.has_filename() == false) final_ = final_.parent_path();
  if (fs::exists(final_, ec) && !overwrite_) {
    fail("{} already exists; choose another output or pass --force to replace it",
         final_.string());
  }
  const fs::path parent = final_.has_parent_path() ? final_.parent_path() : fs::path(".");
  if (!fs::is_directory(parent, ec)) {
    fail("cannot write {}: the parent directory {} does not exist", final_.string(), parent.string());
  }
  temp_ = temp_sibling(final_);
  if (!fs::create_directory(temp_, ec) || ec) {
    fail("cannot create {}: {}", temp_.string(), ec ? ec.message() : "already exists");
  }
}

AtomicDirectory::~AtomicDirectory() {
  if (!committed_) {
    std::error_code ec;
    fs::remove_all(temp_, ec);
  }
}

void AtomicDirectory::commit() {
  FINEFP8_ASSERT(!committed_);
  std::error_code ec;
  fs::path old;
  if (fs::exists(final_, ec)) {
    if (!overwrite_) fail("{} appeared while writing; not replacing it", final_.string());
    old = temp_sibling(final_);
    fs::rename(final_, old, ec);
    if (ec) fail("cannot move the old {} aside: {}", final_.string(), ec.message());
  }
  fs::rename(temp_, final_, ec);
  if (ec) {
    if (!old.empty()) fs::rename(old, final_, ec);
    fail("cannot rename {} to {}: {}", temp_.string(), final_.string(), ec.message());
  }
  committed_ = true;
  if (!old.empty()) fs::remove_all(old, ec);
}

void write_file_atomic(const fs::path& path, std::string_view bytes) {
  const fs::path tmp = temp_sibling(path);
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) fail("cannot create {}: {}", tmp.string(), std::strerror(errno));
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t w = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (w < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      fail("cannot write {}: {}", path.string(), std::strerror(err));
    }
    done += size_t(w);
  }
  const bool synced = ::fsync(fd) == 0;
  const int sync_err = errno;
  const bool closed = ::close(fd) == 0;
  if (!synced || !closed) {
    const int err = synced ? errno : sync_err;
    ::unlink(tmp.c_str());
    fail("cannot write {}: {}", path.string(), std::strerror(err));
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    fail("cannot rename {} to {}: {}", tmp.string(), path.string(), std::strerror(err));
  }
}

}  // namespace finefp8
