// RunLock: at most one `credsweep run` per state directory at a time.
//
// Two overlapping monthly runs (a scheduler retry, an admin starting one by hand) would force
// the same changes twice, send duplicate mail and interleave the action log. The lock is the
// file STATE/run.lock holding the holder's PID, locked with flock(LOCK_EX | LOCK_NB):
//   - a second run while the first is alive gets kFailedPrecondition naming the holder's PID;
//   - the kernel drops a flock when its process dies (even by SIGKILL), so a lock file left by a
//     dead run is recognised — the file still names a PID but nobody holds the lock — and taken
//     over; `stale_pid()` then reports the dead holder so the run can say so.
// The file is never unlinked: unlinking a lock file races with a process that has opened but
// not yet locked it (two holders of two different inodes). Release() empties it instead.
// The lock itself is engine/base/file_lock.h (the one platform seam for file locking).
// Thread-safety: one RunLock per process; not for use across threads.
#pragma once

#include <optional>
#include <string>
#include <sys/types.h>

#include "engine/base/file_lock.h"
#include "engine/base/status.h"

namespace credsweep {

class RunLock {
 public:
  // Creates STATE (0700) if needed and takes STATE/run.lock. kFailedPrecondition when another
  // live process holds it ("another credsweep run (PID 1234) holds ..."); kIOError when the
  // file cannot be created or locked for another reason.
  [[nodiscard]] static Result<RunLock> Acquire(const std::string& state_dir);

  RunLock(RunLock&& other) noexcept;
  RunLock& operator=(RunLock&& other) noexcept;
  RunLock(const RunLock&) = delete;
  RunLock& operator=(const RunLock&) = delete;
  ~RunLock();  // Release()

  // Empties the PID and drops the lock. Idempotent.
  void Release();

  const std::string& path() const { return path_; }
  // The PID recorded by a previous holder that died without releasing, if any.
  std::optional<pid_t> stale_pid() const { return stale_pid_; }

 private:
  RunLock(FileLock lock, std::string path, std::optional<pid_t> stale)
      : lock_(std::move(lock)), path_(std::move(path)), stale_pid_(stale) {}
  FileLock lock_;
  std::string path_;
  std::optional<pid_t> stale_pid_;
};

}  // namespace credsweep
