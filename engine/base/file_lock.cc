#include "engine/base/file_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

#include "engine/base/file_util.h"

namespace credsweep {
namespace {

Status LockFd(int fd, const std::string& path, LockWait wait) {
  const int op = LOCK_EX | (wait == LockWait::kNo ? LOCK_NB : 0);
  while (::flock(fd, op) != 0) {
    if (errno == EINTR) continue;
    if (errno == EWOULDBLOCK) {
      return Status::FailedPrecondition(path + " is locked by another process");
    }
    return Status::FromErrno("cannot lock " + path, errno);
  }
  return Status::Ok();
}

}  // namespace

Result<FileLock> FileLock::Acquire(const std::string& path, LockWait wait, mode_t mode) {
  // O_RDWR so a holder can record who it is (run.lock holds the PID).
  CS_ASSIGN_OR_RETURN(const int fd, OpenNoFollow(path, O_RDWR, mode));
  Status s = LockFd(fd, path, wait);
  if (!s.ok()) {
    ::close(fd);
    return s;
  }
  return FileLock(fd, path, /*owns_fd=*/true);
}

Result<FileLock> FileLock::LockDescriptor(int fd, const std::string& path, LockWait wait) {
  CS_RETURN_IF_ERROR(LockFd(fd, path, wait));
  return FileLock(fd, path, /*owns_fd=*/false);
}

FileLock::FileLock(FileLock&& o) noexcept
    : fd_(std::exchange(o.fd_, -1)), path_(std::move(o.path_)), owns_fd_(o.owns_fd_) {}

FileLock& FileLock::operator=(FileLock&& o) noexcept {
  if (this != &o) {
    Release();
    fd_ = std::exchange(o.fd_, -1);
    path_ = std::move(o.path_);
    owns_fd_ = o.owns_fd_;
  }
  return *this;
}

FileLock::~FileLock() { Release(); }

void FileLock::Release() {
  if (fd_ < 0) return;
  ::flock(fd_, LOCK_UN);
  if (owns_fd_) ::close(fd_);
  fd_ = -1;
}

}  // namespace credsweep
