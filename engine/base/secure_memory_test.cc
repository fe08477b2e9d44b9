#include "engine/base/secure_memory.h"

#include <gtest/gtest.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>

#include "engine/base/test_temp_dir.h"

namespace credsweep {
namespace {

std::string WriteSecretFile(const std::string& name, const std::string& content, mode_t mode) {
  const std::string path = MakeTestTempDir("cs_secret") + "/" + name;
  std::ofstream(path, std::ios::binary) << content;
  chmod(path.c_str(), mode);
  return path;
}

TEST(SecureMemoryTest, ReadSecretReturnsTheBytesFromAPrivateFile) {
  const std::string path = WriteSecretFile("pw", "s3cret line\nsecond\n", 0600);
  Result<SecretBuffer> s = ReadSecret(path, "test secret");
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->view(), "s3cret line\nsecond\n");
  EXPECT_EQ(s->c_str()[s->size()], '\0');
  chmod(path.c_str(), 0400);
  EXPECT_TRUE(ReadSecret(path, "test secret").ok());
}

TEST(SecureMemoryTest, SecretFilesReadableByGroupOrOthersAreRefusedWithoutTheContent) {
  for (mode_t mode : {0644, 0640, 0604, 0660, 0610}) {
    const std::string path = WriteSecretFile("pw", "hunter2-do-not-print", mode);
    Result<SecretBuffer> s = ReadSecret(path, "directory.bind_password_file");
    ASSERT_FALSE(s.ok()) << std::oct << mode;
    EXPECT_EQ(s.status().code(), StatusCode::kFailedPrecondition);
    EXPECT_NE(s.status().message().find("chmod 600 " + path), std::string::npos)
        << s.status().message();
    EXPECT_NE(s.status().message().find("directory.bind_password_file"), std::string::npos);
    EXPECT_EQ(s.status().message().find("hunter2"), std::string::npos);
  }
}

TEST(SecureMemoryTest, SecretFileOwnedByAnotherUserIsRefused) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to give a file away";
  const std::string path = WriteSecretFile("pw", "x", 0600);
  ASSERT_EQ(chown(path.c_str(), 65534, 65534), 0);
  Result<SecretBuffer> s = ReadSecret(path, "signing key");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("owned by uid 65534"), std::string::npos);
}

TEST(SecureMemoryTest, ReadSecretRefusesDirectoriesAndMissingFiles) {
  EXPECT_EQ(ReadSecret(MakeTestTempDir("cs_secret"), "key").status().code(),
            StatusCode::kFailedPrecondition);
  EXPECT_EQ(ReadSecret("/nonexistent/credsweep/key", "key").status().code(),
            StatusCode::kNotFound);
}

TEST(SecureMemoryTest, ReadPasswordTakesTheFirstLineOfTheFileElseTheEnvironment) {
  const std::string path = WriteSecretFile("pw", "Pa55word\r\nignored\n", 0600);
  Result<SecretBuffer> pw = ReadPassword(path, "CS_TEST_UNSET_VAR", "x.password_file");
  ASSERT_TRUE(pw.ok()) << pw.status().ToString();
  EXPECT_EQ(pw->view(), "Pa55word");

  setenv("CS_TEST_PASSWORD_VAR", "from-env", 1);
  pw = ReadPassword("", "CS_TEST_PASSWORD_VAR", "x.password_file");
  ASSERT_TRUE(pw.ok());
  EXPECT_EQ(pw->view(), "from-env");
  unsetenv("CS_TEST_PASSWORD_VAR");

  Result<SecretBuffer> none = ReadPassword("", "CS_TEST_PASSWORD_VAR", "x.password_file");
  EXPECT_EQ(none.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(none.status().message().find("x.password_file"), std::string::npos);
}

TEST(SecureMemoryTest, AnEmptyPasswordIsAnErrorNotAnAnonymousLogin) {
  for (const char* content : {"", "\n", "\r\nsecond line"}) {
    const std::string path = WriteSecretFile("pw", content, 0600);
    Result<SecretBuffer> pw = ReadPassword(path, "CS_TEST_UNSET_VAR", "x.password_file");
    ASSERT_FALSE(pw.ok());
    EXPECT_EQ(pw.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(pw.status().message().find("empty password"), std::string::npos);
  }
  setenv("CS_TEST_PASSWORD_VAR", "", 1);
  EXPECT_EQ(ReadPassword("", "CS_TEST_PASSWORD_VAR", "x").status().code(),
            StatusCode::kInvalidArgument);
  unsetenv("CS_TEST_PASSWORD_VAR");
}

TEST(SecureMemoryTest, TruncateKeepsThePrefixAndTheTerminator) {
  Result<SecretBuffer> b = SecretBuffer::CopyOf("abcdef");
  ASSERT_TRUE(b.ok());
  b->Truncate(3);
  EXPECT_EQ(b->view(), "abc");
  EXPECT_STREQ(b->c_str(), "abc");
  SecretBuffer moved = std::move(b).value();
  EXPECT_EQ(moved.view(), "abc");
}

TEST(SecureMemoryTest, DisableCoreDumpsTurnsBothSwitchesOff) {
  // In a child, so the test runner itself keeps its settings.
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    if (!DisableCoreDumps().ok()) _exit(10);
    rlimit rl{};
    if (getrlimit(RLIMIT_CORE, &rl) != 0 || rl.rlim_cur != 0 || rl.rlim_max != 0) _exit(11);
    if (prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) != 0) _exit(12);
    _exit(0);
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

}  // namespace
}  // namespace credsweep
