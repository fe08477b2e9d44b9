#include "engine/run/run_lock.h"

#include <cerrno>
#include <fcntl.h>
#include <string>
#include <unistd.h>
#include <utility>

#include "engine/base/file_util.h"

namespace credsweep {
namespace {

// The PID written in the lock file, if it holds one.
std::optional<pid_t> ReadPid(int fd) {
  char buf[32] = {};
  ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
  if (n <= 0) return std::nullopt;
  long pid = 0;
  bool digits = false;
  for (ssize_t i = 0; i < n; ++i) {
    if (buf[i] >= '0' && buf[i] <= '9') {
      pid = pid * 10 + (buf[i] - '0');
      digits = true;
      if (pid > 0x3fffffff) return std::nullopt;
    } else if (buf[i] == '\n') {
      break;
    } else {
      return std::nullopt;
    }
  }
  if (!digits || pid <= 0) return std::nullopt;
  return static_cast<pid_t>(pid);
}

}  // namespace

Result<RunLock> RunLock::Acquire(const std::string& state_dir) {
  CS_RETURN_IF_ERROR(MakeDirs(state_dir));
  std::string path = state_dir + "/run.lock";
  Result<FileLock> lock = FileLock::Acquire(path, LockWait::kNo, 0600);
  if (!lock.ok()) {
    if (lock.status().code() != StatusCode::kFailedPrecondition) return lock.status();
    // Held: name the holder. Reading the PID needs no lock (the holder wrote it and fsynced).
    std::optional<pid_t> holder;
    if (Result<int> fd = OpenNoFollow(path, O_RDONLY); fd.ok()) {
      holder = ReadPid(*fd);
      close(*fd);
    }
    return Status::FailedPrecondition(
        "another credsweep run (PID " + (holder ? std::to_string(*holder) : std::string("unknown")) +
        ") holds " + path + "; wait for it to finish (the lock is released when it exits)");
  }
  // We hold the lock. A PID still in the file belongs to a run that died without releasing
  // (a clean exit empties the file), unless it is our own PID reused — which cannot hold a
  // lock we just got, so it is stale too.
  const int fd = lock->fd();
  std::optional<pid_t> stale = ReadPid(fd);
  const std::string mine = std::to_string(getpid()) + "\n";
  if (ftruncate(fd, 0) != 0 || pwrite(fd, mine.data(), mine.size(), 0) !=
                                   static_cast<ssize_t>(mine.size())) {
    return Status::FromErrno("cannot record PID in " + path, errno);
  }
  fsync(fd);
  return RunLock(std::move(lock).value(), std::move(path), stale);
}

RunLock::RunLock(RunLock&& other) noexcept
    : lock_(std::move(other.lock_)),
      path_(std::move(other.path_)),
      stale_pid_(other.stale_pid_) {}

RunLock& RunLock::operator=(RunLock&& other) noexcept {
  if (this != &other) {
    Release();
    lock_ = std::move(other.lock_);
    path_ = std::move(other.path_);
    stale_pid_ = other.stale_pid_;
  }
  return *this;
}

RunLock::~RunLock() { Release(); }

void RunLock::Release() {
  if (lock_.fd() < 0) return;
  // Empty the PID first so the next run does not take this clean exit for a crash.
  if (ftruncate(lock_.fd(), 0) != 0) {
    // Nothing to do: the next run will report a stale PID, which is harmless.
  }
  lock_.Release();
}

}  // namespace credsweep
