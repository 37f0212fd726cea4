// The event log's append-only file.
#include "producer/durable_log.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <stdexcept>

#include "core/enum_names.hpp"

namespace hookbench {
namespace {

constexpr std::uint32_t kMagic = 0x314c4248;  // "HBL1" in a little-endian file
constexpr std::size_t kHeader = 4 + 4 + 8 + 8;
constexpr std::size_t kTrailer = 4;
// A length above this is corruption, not a payload (serve --payload allows 1 MiB).
constexpr std::uint32_t kMaxPayload = 64u << 20;

constexpr std::array<std::uint32_t, 256> make_crc_table() {
  std::array<std::uint32_t, 256> t{};
  for (std::uint32_t i = 0; i < 256; ++i) {
    std::uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    t[i] = c;
  }
  return t;
}
constexpr auto kCrcTable = make_crc_table();

template <typename T>
void put(std::string& out, T v) {
  char b[sizeof(T)];
  std::memcpy(b, &v, sizeof(T));
  out.append(b, sizeof(T));
}

template <typename T>
T get(const char* p) {
  T v;
  std::memcpy(&v, p, sizeof(T));
  return v;
}

std::string errno_text() { return std::strerror(errno); }

}  // namespace

std::uint32_t crc32(std::string_view data, std::uint32_t crc) {
  crc = ~crc;
  for (unsigned char c : data) crc = kCrcTable[(crc ^ c) & 0xFF] ^ (crc >> 8);
  return ~crc;
}

namespace {

constexpr auto kFsyncPolicies = make_enum_names<fsync_policy>({{fsync_policy::always, "always"},
                                                               {fsync_policy::interval, "interval"},
                                                               {fsync_policy::never, "never"}});

}  // namespace

fsync_policy parse_fsync_policy(std::string_view text) { return kFsyncPolicies.parse(text); }

std::string to_string(fsync_policy policy) { return std::string(kFsyncPolicies.name(policy)); }

durable_log::durable_log(std::string path, durable_options options,
                         const std::function<void(event&&)>& on_record)
    : path_(std::move(path)), options_(options) {
  fd_ = ::open(path_.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd_ < 0) throw std::runtime_error("cannot open " + path_ + ": " + errno_text());
  // Read the whole file once: the log of a benchmark run fits in memory (the producer keeps
  // `retention` of the events anyway), and one pass keeps the torn-tail rule in one place.
  std::string data;
  {
    struct stat st {};
    if (::fstat(fd_, &st) != 0) {
      ::close(fd_);
      throw std::runtime_error("cannot stat " + path_ + ": " + errno_text());
    }
    data.resize(static_cast<std::size_t>(st.st_size));
    std::size_t got = 0;
    while (got < data.size()) {
      const ssize_t n = ::pread(fd_, data.data() + got, data.size() - got, static_cast<off_t>(got));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        ::close(fd_);
        throw std::runtime_error("cannot read " + path_ + ": " + errno_text());
      }
      got += static_cast<std::size_t>(n);
    }
  }
  std::size_t pos = 0;
  while (data.size() - pos >= kHeader + kTrailer) {
    const char* p = data.data() + pos;
    const auto magic = get<std::uint32_t>(p);
    const auto length = get<std::uint32_t>(p + 4);
    if (magic != kMagic || length > kMaxPayload) break;
    const std::size_t total = kHeader + length + kTrailer;
    if (data.size() - pos < total) break;  // torn: the record's end never reached the file
    const std::string_view body(p, kHeader + length);
    if (crc32(body) != get<std::uint32_t>(p + kHeader + length)) break;
    const auto seq = get<std::uint64_t>(p + 8);
    if (seq != last_seq_ + 1) break;
    event e{seq, get<std::int64_t>(p + 16), std::string(p + kHeader, length)};
    last_seq_ = seq;
    ++stats_.loaded;
    if (on_record) on_record(std::move(e));
    pos += total;
  }
  size_ = pos;
  stats_.dropped_bytes = data.size() - pos;
  if (stats_.dropped_bytes > 0 && ::ftruncate(fd_, static_cast<off_t>(size_)) != 0) {
    ::close(fd_);
    throw std::runtime_error("cannot cut the torn tail off " + path_ + ": " + errno_text());
  }
  if (options_.policy == fsync_policy::interval) syncer_ = std::thread([this] { sync_loop(); });
}

durable_log::~durable_log() {
  if (syncer_.joinable()) {
    {
      std::lock_guard<std::mutex> lock(stop_mutex_);
      stopping_ = true;
    }
    stop_cv_.notify_all();
    syncer_.join();
  }
  if (fd_ < 0) return;
  if (dirty_ && options_.policy != fsync_policy::never) sync();
  ::close(fd_);
}

void durable_log::sync_loop() {
  std::unique_lock<std::mutex> lock(stop_mutex_);
  while (!stopping_) {
    stop_cv_.wait_for(lock, std::chrono::nanoseconds(options_.interval));
    if (stopping_) break;
    if (!dirty_.exchange(false)) continue;
    lock.unlock();
    sync();
    lock.lock();
  }
}

durable_stats durable_log::stats() const {
  durable_stats st = stats_;
  st.syncs = syncs_.load();
  st.sync_ns = sync_ns_.load();
  st.sync_max_ns = sync_max_ns_.load();
  st.write_errors += sync_errors_.load();
  return st;
}

bool durable_log::append(const event& e) {
  if (failed_) {
    ++stats_.not_written;
    return false;
  }
  record_.clear();
  put<std::uint32_t>(record_, kMagic);
  put<std::uint32_t>(record_, static_cast<std::uint32_t>(e.payload.size()));
  put<std::uint64_t>(record_, e.seq);
  put<std::int64_t>(record_, e.created_ns);
  record_ += e.payload;
  put<std::uint32_t>(record_, crc32(record_));
  std::size_t done = 0;
  while (done < record_.size()) {
    const ssize_t n = ::pwrite(fd_, record_.data() + done, record_.size() - done,
                               static_cast<off_t>(size_ + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      // Disk full or an I/O error: no half record stays behind to end the log early.
      ++stats_.write_errors;
      failed_ = true;
      if (::ftruncate(fd_, static_cast<off_t>(size_)) != 0) {
        // Nothing more to do: the next open drops the torn record.
      }
      return false;
    }
    done += static_cast<std::size_t>(n);
  }
  size_ += record_.size();
  last_seq_ = e.seq;
  ++stats_.appends;
  stats_.bytes += record_.size();
  if (options_.policy == fsync_policy::always) {
    sync();
  } else {
    dirty_ = true;
  }
  return true;
}

void durable_log::sync() {
  const nanos start = now_ns();
  if (::fdatasync(fd_) != 0) ++sync_errors_;
  const nanos took = now_ns() - start;
  ++syncs_;
  sync_ns_ += took;
  nanos max = sync_max_ns_.load();
  while (took > max && !sync_max_ns_.compare_exchange_weak(max, took)) {
  }
}

}  // namespace hookbench
