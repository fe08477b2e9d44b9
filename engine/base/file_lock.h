// FileLock: the one advisory file lock credsweep takes — the run lock (STATE/run.lock), the
// corpus store's import lock (STORE/LOCK) and the action log (the log file itself).
//
// Semantics: an exclusive flock(2). The kernel drops it when the descriptor is closed or the
// process dies, even by SIGKILL, so a lock is never left behind by a crash. Lock files are
// opened with O_NOFOLLOW in a verified folder (file_util.h), created with the given mode, and
// never unlinked (unlinking races with a process that has opened but not yet locked the file).
//
// Platform seam (DESIGN.md "Portability"): flock is the Linux implementation; a Windows port
// replaces file_lock.cc with LockFileEx and keeps this interface.
//
// Thread-safety: a FileLock belongs to one thread at a time; flock locks are per open file
// description, so two FileLocks on one path in one process exclude each other too.
#pragma once

#include <string>
#include <sys/types.h>

#include "engine/base/status.h"

namespace credsweep {

enum class LockWait { kNo, kYes };

class FileLock {
 public:
  // Opens (creating with `mode`) and locks `path`. With LockWait::kNo a lock held elsewhere is
  // kFailedPrecondition "PATH is locked by another process" (callers add what holds it);
  // with kYes it waits (EINTR retried).
  [[nodiscard]] static Result<FileLock> Acquire(const std::string& path, LockWait wait,
                                                mode_t mode = 0600);
  // Locks a descriptor the caller owns (the action log locks its own file); the descriptor is
  // not closed by the FileLock, only unlocked.
  [[nodiscard]] static Result<FileLock> LockDescriptor(int fd, const std::string& path,
                                                       LockWait wait);

  FileLock(FileLock&& other) noexcept;
  FileLock& operator=(FileLock&& other) noexcept;
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;
  ~FileLock();  // Release()

  // Unlocks (and closes, when Acquire opened it). Idempotent.
  void Release();
  // The locked descriptor (e.g. to record a PID in the lock file); -1 after Release.
  int fd() const { return fd_; }
  const std::string& path() const { return path_; }

 private:
  FileLock(int fd, std::string path, bool owns_fd)
      : fd_(fd), path_(std::move(path)), owns_fd_(owns_fd) {}
  int fd_ = -1;
  std::string path_;
  bool owns_fd_ = false;
};

}  // namespace credsweep
