#include "engine/base/file_lock.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/base/test_temp_dir.h"

namespace credsweep {
namespace {

TEST(FileLockTest, ASecondHolderIsRefusedUntilTheFirstReleases) {
  const std::string path = MakeTestTempDir("cs_lock") + "/LOCK";
  Result<FileLock> first = FileLock::Acquire(path, LockWait::kNo);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  Result<FileLock> second = FileLock::Acquire(path, LockWait::kNo);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(second.status().message().find(path), std::string::npos);
  first->Release();
  EXPECT_TRUE(FileLock::Acquire(path, LockWait::kNo).ok());
  struct stat st;
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST(FileLockTest, TheKernelDropsTheLockOfADeadProcess) {
  const std::string path = MakeTestTempDir("cs_lock") + "/LOCK";
  int ready[2];
  ASSERT_EQ(pipe(ready), 0);
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    Result<FileLock> held = FileLock::Acquire(path, LockWait::kNo);
    char c = held.ok() ? 'y' : 'n';
    if (write(ready[1], &c, 1) != 1) _exit(1);
    pause();
    _exit(0);
  }
  char c = 0;
  ASSERT_EQ(read(ready[0], &c, 1), 1);
  ASSERT_EQ(c, 'y');
  EXPECT_EQ(FileLock::Acquire(path, LockWait::kNo).status().code(),
            StatusCode::kFailedPrecondition);
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
  EXPECT_TRUE(FileLock::Acquire(path, LockWait::kNo).ok());
  close(ready[0]);
  close(ready[1]);
}

TEST(FileLockTest, ASymlinkedLockFileIsRefused) {
  const std::string dir = MakeTestTempDir("cs_lock");
  const std::string target = MakeTestTempDir("cs_lock") + "/elsewhere";
  ASSERT_EQ(symlink(target.c_str(), (dir + "/LOCK").c_str()), 0);
  EXPECT_EQ(FileLock::Acquire(dir + "/LOCK", LockWait::kNo).status().code(),
            StatusCode::kFailedPrecondition);
  struct stat st;
  EXPECT_NE(lstat(target.c_str(), &st), 0);  // nothing created at the target
}

TEST(FileLockTest, LockDescriptorExcludesOtherDescriptionsAndLeavesTheFdOpen) {
  const std::string path = MakeTestTempDir("cs_lock") + "/log";
  const int fd = open(path.c_str(), O_RDWR | O_CREAT, 0600);
  ASSERT_GE(fd, 0);
  {
    Result<FileLock> lock = FileLock::LockDescriptor(fd, path, LockWait::kYes);
    ASSERT_TRUE(lock.ok());
    EXPECT_EQ(FileLock::Acquire(path, LockWait::kNo).status().code(),
              StatusCode::kFailedPrecondition);
  }
  EXPECT_TRUE(FileLock::Acquire(path, LockWait::kNo).ok());
  EXPECT_GE(fcntl(fd, F_GETFD), 0);  // still open: LockDescriptor does not own it
  close(fd);
}

}  // namespace
}  // namespace credsweep
