// Private files and directories: 0600/0700, O_NOFOLLOW, O_EXCL for new ones.
#include "core/private_files.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <stdexcept>

namespace hookbench {

void unique_fd::reset() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

int create_private_file(const std::string& path) {
  constexpr int kFlags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC;
  int fd = ::open(path.c_str(), kFlags, 0600);
  if (fd < 0 && errno == EEXIST && ::unlink(path.c_str()) == 0) {
    fd = ::open(path.c_str(), kFlags, 0600);
  }
  return fd;
}

int open_private_append(const std::string& path) {
  return ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
}

bool write_all(int fd, std::string_view text) {
  while (!text.empty()) {
    const ssize_t n = ::write(fd, text.data(), text.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    text.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

void make_private_dir(const std::string& path) {
  namespace fs = std::filesystem;
  const fs::path p(path);
  std::error_code ec;
  if (p.has_parent_path() && !p.parent_path().empty()) fs::create_directories(p.parent_path(), ec);
  if (::mkdir(path.c_str(), 0700) == 0) return;
  const int mkdir_errno = errno;
  struct stat st {};
  if (mkdir_errno != EEXIST || ::lstat(path.c_str(), &st) != 0) {
    throw std::runtime_error(path + ": " + std::strerror(mkdir_errno));
  }
  if (S_ISLNK(st.st_mode)) {
    throw std::runtime_error(path + " is a symbolic link: give the directory itself");
  }
  if (!S_ISDIR(st.st_mode)) throw std::runtime_error(path + " exists and is not a directory");
}

std::string read_or_create_secret(const std::string& path,
                                  const std::function<std::string()>& make) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd >= 0) {
      std::string text;
      char buf[256];
      ssize_t n;
      while ((n = ::read(fd, buf, sizeof buf)) > 0 && text.size() < 4096) {
        text.append(buf, static_cast<std::size_t>(n));
      }
      ::close(fd);
      while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
      if (text.empty()) throw std::runtime_error(path + " is empty");
      return text;
    }
    if (errno != ENOENT) throw std::runtime_error(path + ": " + std::strerror(errno));
    const std::string secret = make();
    const int out =
        ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (out < 0 && errno == EEXIST) continue;  // made meanwhile by someone else: read theirs
    if (out < 0) throw std::runtime_error(path + ": " + std::strerror(errno));
    const bool ok = write_all(out, secret + "\n") && ::fsync(out) == 0;
    ::close(out);
    if (!ok) throw std::runtime_error(path + ": cannot write");
    return secret;
  }
  throw std::runtime_error(path + ": cannot be read");
}

std::vector<std::string> remove_stale_temp_files(const std::string& dir) {
  namespace fs = std::filesystem;
  std::vector<std::string> removed;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const auto& p = entry.path();
    if (p.extension() != ".tmp") continue;
    std::error_code rm;
    if (fs::remove(p, rm)) removed.push_back(p.string());
  }
  return removed;
}

scratch_path::~scratch_path() {
  std::error_code ec;
  if (!path.empty()) std::filesystem::remove_all(path, ec);
}

}  // namespace hookbench
