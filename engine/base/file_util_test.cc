#include "engine/base/file_util.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>

#include "engine/base/test_temp_dir.h"

namespace credsweep {
namespace {

std::string TempDir() { return MakeTestTempDir("cs_file_util"); }

TEST(FileUtilTest, AtomicWriteReplacesContentWithPrivateMode) {
  std::string dir = TempDir();
  std::string path = dir + "/findings.json";
  ASSERT_TRUE(WriteFileAtomic(path, "old").ok());
  ASSERT_TRUE(WriteFileAtomic(path, "new content").ok());
  EXPECT_EQ(ReadFile(path).value(), "new content");
  struct stat st;
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST(FileUtilTest, ErrorsNameThePath) {
  Result<std::string> r = ReadFile("/nonexistent/credsweep/x");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("/nonexistent/credsweep/x"), std::string::npos);
}

TEST(FileUtilTest, MakeDirsAndPaths) {
  std::string dir = TempDir();
  ASSERT_TRUE(MakeDirs(dir + "/a/b/c").ok());
  struct stat st;
  EXPECT_EQ(stat((dir + "/a/b/c").c_str(), &st), 0);
  EXPECT_EQ(DirName("/x/y/z.toml"), "/x/y");
  EXPECT_EQ(DirName("z.toml"), ".");
  EXPECT_EQ(ResolvePath("/etc/cs", "store"), "/etc/cs/store");
  EXPECT_EQ(ResolvePath("/etc/cs", "/abs"), "/abs");
}

}  // namespace
}  // namespace credsweep
