#include "engine/run/run_lock.h"

#include <csignal>
#include <filesystem>
#include <gtest/gtest.h>
#include <string>
#include <vector>
#include <sys/wait.h>
#include <unistd.h>

#include "engine/base/file_util.h"
#include "engine/base/test_temp_dir.h"

namespace credsweep {
namespace {

std::string TempDir() { return MakeTestTempDir("cs_run_lock"); }

// Forks a child that takes the lock, reports readiness through a pipe and then waits to be
// killed. Returns its PID (the lock is held when this returns).
pid_t ForkHolder(const std::string& state) {
  int fds[2];
  EXPECT_EQ(pipe(fds), 0);
  pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    Result<RunLock> lock = RunLock::Acquire(state);
    char c = lock.ok() ? 'y' : 'n';
    (void)!write(fds[1], &c, 1);
    for (;;) pause();
  }
  close(fds[1]);
  char c = 0;
  EXPECT_EQ(read(fds[0], &c, 1), 1);
  close(fds[0]);
  EXPECT_EQ(c, 'y');
  return pid;
}

TEST(RunLockTest, SecondRunIsRefusedNamingTheHolderPid) {
  const std::string state = TempDir() + "/state";
  pid_t holder = ForkHolder(state);
  Result<RunLock> second = RunLock::Acquire(state);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(second.status().message().find("PID " + std::to_string(holder)), std::string::npos)
      << second.status().message();
  EXPECT_NE(second.status().message().find("run.lock"), std::string::npos);
  kill(holder, SIGKILL);
  waitpid(holder, nullptr, 0);
}

TEST(RunLockTest, LockOfAKilledRunIsRecognisedAsStaleAndTakenOver) {
  const std::string state = TempDir() + "/state";
  pid_t holder = ForkHolder(state);
  kill(holder, SIGKILL);
  waitpid(holder, nullptr, 0);
  Result<RunLock> lock = RunLock::Acquire(state);
  ASSERT_TRUE(lock.ok()) << lock.status().ToString();
  ASSERT_TRUE(lock->stale_pid().has_value());
  EXPECT_EQ(*lock->stale_pid(), holder);
  // The file now names us.
  Result<std::string> text = ReadFile(state + "/run.lock");
  ASSERT_TRUE(text.ok());
  EXPECT_EQ(*text, std::to_string(getpid()) + "\n");
}

TEST(RunLockTest, CleanReleaseLeavesNoStalePidAndAllowsTheNextRun) {
  const std::string state = TempDir() + "/state";
  {
    Result<RunLock> first = RunLock::Acquire(state);
    ASSERT_TRUE(first.ok()) << first.status().ToString();
    EXPECT_FALSE(first->stale_pid().has_value());
  }
  Result<RunLock> second = RunLock::Acquire(state);
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_FALSE(second->stale_pid().has_value());
  // Within one process a second holder is refused too (flock is per open file).
  Result<RunLock> third = RunLock::Acquire(state);
  EXPECT_FALSE(third.ok());
  second->Release();
  Result<RunLock> fourth = RunLock::Acquire(state);
  EXPECT_TRUE(fourth.ok());
}

}  // namespace
}  // namespace credsweep
