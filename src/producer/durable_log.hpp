// The event log's file (serve --state-dir DIR: DIR/events.log): every event appended as one
// self-checking binary record, so that a restarted producer serves the same events again. A
// record is written with a single write(2), so a killed process loses nothing that write()
// returned for (the data is in the kernel's page cache); what an OS crash or power loss may lose
// depends on the fsync policy:
//   always    fdatasync after every record: nothing acknowledged is lost; costs a disk flush each
//   interval  fdatasync at most every N ms, on a thread of its own (so the producer's event loop
//             never waits for the disk): up to N ms of events (plus one sync's time) may be lost
//   never     the kernel writes back when it likes (~30 s on Linux by default): that much
// A record torn by a crash (short, or its checksum wrong) ends the log: it and anything after it
// are cut off when the file is opened again, and counted.
//
// Record (host byte order, little-endian here):
//   u32 magic "HBL1" | u32 payload length | u64 seq | i64 created_ns | payload | u32 CRC-32 of
//   everything before it in the record
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include "core/event.hpp"

namespace hookbench {

enum class fsync_policy { always, interval, never };
fsync_policy parse_fsync_policy(std::string_view text);  // throws usage_error
std::string to_string(fsync_policy policy);

struct durable_options {
  fsync_policy policy = fsync_policy::interval;
  nanos interval = 10 * kNanosPerMilli;  // interval: the longest an appended record waits
};

struct durable_stats {
  std::uint64_t appends = 0, bytes = 0;
  std::uint64_t syncs = 0;
  nanos sync_ns = 0, sync_max_ns = 0;  // time spent in fdatasync
  std::uint64_t write_errors = 0;
  // Appends refused after a failed write: the file stays a gapless prefix (a later record past
  // a gap would be cut off with it on the next open), ending at the last seq written.
  std::uint64_t not_written = 0;
  // What opening the file found.
  std::uint64_t loaded = 0;         // intact records
  std::uint64_t dropped_bytes = 0;  // a torn or corrupt tail, cut off
};

// CRC-32 (IEEE 802.3, the zlib one), over `data` continuing from `crc`.
std::uint32_t crc32(std::string_view data, std::uint32_t crc = 0);

class durable_log {
 public:
  // Opens (creates) `path`; each intact record already in it goes to `on_record` in order (seq
  // 1, 2, ... without gaps: a record that breaks the sequence ends the log like a torn one), and
  // the file is cut after the last of them. Throws std::runtime_error naming the path.
  durable_log(std::string path, durable_options options,
              const std::function<void(event&&)>& on_record = {});
  ~durable_log();
  durable_log(const durable_log&) = delete;
  durable_log& operator=(const durable_log&) = delete;

  // Appends one record (and syncs as the policy says). False when the write failed (counted;
  // the file is cut back to its last whole record).
  bool append(const event& e);
  // fdatasync now (always: after each append; interval: the sync thread).
  void sync();

  const std::string& path() const { return path_; }
  const durable_options& options() const { return options_; }
  durable_stats stats() const;
  seq_t last_seq() const { return last_seq_; }

 private:
  void sync_loop();  // interval: the sync thread

  std::string path_;
  durable_options options_;
  int fd_ = -1;
  std::uint64_t size_ = 0;  // bytes of whole records
  seq_t last_seq_ = 0;
  std::string record_;   // reused buffer
  bool failed_ = false;  // a write failed: nothing more is appended
  durable_stats stats_;
  // Written by the appending thread, read and cleared by the sync thread.
  std::atomic<bool> dirty_{false};
  // The sync counters, shared by both threads.
  std::atomic<std::uint64_t> syncs_{0}, sync_errors_{0};
  std::atomic<nanos> sync_ns_{0}, sync_max_ns_{0};
  std::mutex stop_mutex_;
  std::condition_variable stop_cv_;
  bool stopping_ = false;
  std::thread syncer_;
};

}  // namespace hookbench
