// Files that hold a run's secrets or state (the state directory, its .tmp files, owner.key, the
// --tap file): created 0600 (directories 0700), never through a symbolic link, and new ones with
// O_EXCL, so that another local user can neither read them nor plant a link that redirects a
// write.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace hookbench {

// A scratch path (file or directory tree) removed with this object, whatever ends its owner's
// work; empty: nothing to remove.
struct scratch_path {
  std::string path;
  scratch_path() = default;
  scratch_path(const scratch_path&) = delete;
  scratch_path& operator=(const scratch_path&) = delete;
  ~scratch_path();
};

// A file descriptor closed with its owner.
class unique_fd {
 public:
  unique_fd() = default;
  explicit unique_fd(int fd) : fd_(fd) {}
  ~unique_fd() { reset(); }
  unique_fd(unique_fd&& o) noexcept : fd_(o.release()) {}
  unique_fd& operator=(unique_fd&& o) noexcept {
    if (this != &o) {
      reset();
      fd_ = o.release();
    }
    return *this;
  }
  int get() const { return fd_; }
  explicit operator bool() const { return fd_ >= 0; }
  int release() {
    const int fd = fd_;
    fd_ = -1;
    return fd;
  }
  void reset();

 private:
  int fd_ = -1;
};

// Creates `path` 0600 for writing with O_CREAT | O_EXCL | O_NOFOLLOW. A file already there (a
// .tmp left by a killed run) is unlinked first and the create tried once more: what is there is
// replaced, never written through. Returns the descriptor, or -1 with errno set.
int create_private_file(const std::string& path);
// Opens `path` for appending, created 0600 when absent; a symbolic link is refused (ELOOP).
// Returns the descriptor, or -1 with errno set.
int open_private_append(const std::string& path);
// Writes all of `text`; false (errno set) on an error.
bool write_all(int fd, std::string_view text);
// Makes `path` a directory 0700 (its missing parents with the default mode); one that exists
// must be a directory and not a symbolic link. Throws std::runtime_error naming the problem.
void make_private_dir(const std::string& path);
// The secret kept in `path`, or, when there is none, `make()`'s, written there first (0600,
// O_EXCL). Throws std::runtime_error when it cannot be read or written.
std::string read_or_create_secret(const std::string& path,
                                  const std::function<std::string()>& make);
// Removes every DIR/*.tmp (what a run killed mid-write leaves) and returns their paths.
std::vector<std::string> remove_stale_temp_files(const std::string& dir);

}  // namespace hookbench
