#include "engine/base/file_util.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <vector>

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

std::string Slurp(const std::string& path) {
  Result<std::string> r = ReadFile(path);
  return r.ok() ? *r : "<unreadable>";
}

std::vector<std::string> Names(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(dir)) out.push_back(e.path().filename());
  std::sort(out.begin(), out.end());
  return out;
}

TEST(FileUtilTest, SymlinkPlantedAtTheFinalNameIsRefusedAndItsTargetUntouched) {
  const std::string dir = TempDir();
  const std::string victim_dir = TempDir();
  const std::string victim = victim_dir + "/precious";
  ASSERT_TRUE(WriteFileAtomic(victim, "do not touch").ok());
  ASSERT_EQ(symlink(victim.c_str(), (dir + "/findings.json").c_str()), 0);

  Status s = WriteFileAtomic(dir + "/findings.json", "findings");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(s.message().find("symbolic link"), std::string::npos) << s.message();
  EXPECT_EQ(Slurp(victim), "do not touch");
  // Nothing left behind but the planted link.
  EXPECT_EQ(Names(dir), std::vector<std::string>{"findings.json"});
}

TEST(FileUtilTest, ExclusiveCreateNeverFollowsOrReplaces) {
  const std::string dir = TempDir();
  const std::string victim = TempDir() + "/precious";
  ASSERT_TRUE(WriteFileAtomic(victim, "do not touch").ok());
  // A symlink (dangling or not) planted at the name: O_EXCL|O_NOFOLLOW refuses it.
  ASSERT_EQ(symlink(victim.c_str(), (dir + "/key").c_str()), 0);
  ASSERT_EQ(symlink((dir + "/nowhere").c_str(), (dir + "/key2").c_str()), 0);
  EXPECT_EQ(CreateFileExclusive(dir + "/key", "secret", 0600).code(),
            StatusCode::kFailedPrecondition);
  EXPECT_EQ(CreateFileExclusive(dir + "/key2", "secret", 0600).code(),
            StatusCode::kFailedPrecondition);
  EXPECT_EQ(Slurp(victim), "do not touch");
  struct stat st;
  EXPECT_NE(lstat((dir + "/nowhere").c_str(), &st), 0);  // the dangling target was not created

  ASSERT_TRUE(CreateFileExclusive(dir + "/fresh", "secret", 0600).ok());
  ASSERT_EQ(stat((dir + "/fresh").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(CreateFileExclusive(dir + "/fresh", "other", 0600).code(),
            StatusCode::kFailedPrecondition);
  EXPECT_EQ(Slurp(dir + "/fresh"), "secret");
}

TEST(FileUtilTest, TempNamesAreUnpredictableAndNeverLeftBehind) {
  const std::string dir = TempDir();
  ASSERT_TRUE(WriteFileAtomic(dir + "/a", "1").ok());
  // Two writers of the same final name get different temp names (random suffix), so a name
  // cannot be guessed in advance; both commit, the last one wins.
  Result<AtomicFile> f1 = AtomicFile::Create(dir + "/a");
  Result<AtomicFile> f2 = AtomicFile::Create(dir + "/a");
  ASSERT_TRUE(f1.ok() && f2.ok());
  std::vector<std::string> during = Names(dir);
  ASSERT_EQ(during.size(), 3u);
  EXPECT_NE(during[0], during[1]);
  for (const std::string& n : during) {
    if (n != "a") {
      EXPECT_NE(n.find(".a.tmp-"), std::string::npos) << n;
    }
  }
  ASSERT_TRUE(f1->Write("first").ok());
  ASSERT_TRUE(f2->Write("second").ok());
  ASSERT_TRUE(f1->Commit().ok());
  ASSERT_TRUE(f2->Commit().ok());
  EXPECT_EQ(Slurp(dir + "/a"), "second");
  {
    Result<AtomicFile> abandoned = AtomicFile::Create(dir + "/a");
    ASSERT_TRUE(abandoned.ok());
    ASSERT_TRUE(abandoned->Write("half").ok());
  }  // destroyed without Commit: the temp file goes, the old content stays
  EXPECT_EQ(Names(dir), std::vector<std::string>{"a"});
  EXPECT_EQ(Slurp(dir + "/a"), "second");
}

TEST(FileUtilTest, GroupOrOtherWritableFolderIsRefusedWithTheFix) {
  const std::string dir = TempDir();
  const std::string shared = dir + "/shared";
  ASSERT_EQ(mkdir(shared.c_str(), 0700), 0);
  ASSERT_EQ(chmod(shared.c_str(), 0770), 0);
  Status s = WriteFileAtomic(shared + "/findings.json", "x");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(s.message().find(shared), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("chmod go-w"), std::string::npos) << s.message();
  EXPECT_EQ(MakeDirs(shared).code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(OpenNoFollow(shared + "/actions.log", O_WRONLY | O_APPEND).status().code(),
            StatusCode::kFailedPrecondition);
  EXPECT_TRUE(Names(shared).empty());

  ASSERT_EQ(chmod(shared.c_str(), 0755), 0);  // readable by others is fine; writable is not
  EXPECT_TRUE(WriteFileAtomic(shared + "/findings.json", "x").ok());
}

TEST(FileUtilTest, FolderOwnedBySomeoneElseIsRefused) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to give a folder away";
  const std::string dir = TempDir() + "/theirs";
  ASSERT_EQ(mkdir(dir.c_str(), 0700), 0);
  ASSERT_EQ(chown(dir.c_str(), 65534, 65534), 0);
  Status s = WriteFileAtomic(dir + "/report.html", "x");
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(s.message().find("owned by uid 65534"), std::string::npos) << s.message();
}

TEST(FileUtilTest, NewFoldersGetExactlyTheModeAskedFor) {
  const std::string dir = TempDir();
  const mode_t old = umask(0);  // a umask must not widen what credsweep creates
  Status s = MakeDirs(dir + "/x/y", 0700);
  umask(old);
  ASSERT_TRUE(s.ok()) << s.ToString();
  struct stat st;
  ASSERT_EQ(stat((dir + "/x/y").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
}

TEST(FileUtilTest, OpenNoFollowRefusesASymlinkedLog) {
  const std::string dir = TempDir();
  const std::string victim = TempDir() + "/precious";
  ASSERT_TRUE(WriteFileAtomic(victim, "keep").ok());
  ASSERT_EQ(symlink(victim.c_str(), (dir + "/actions.log").c_str()), 0);
  EXPECT_EQ(OpenNoFollow(dir + "/actions.log", O_WRONLY | O_APPEND).status().code(),
            StatusCode::kFailedPrecondition);
  EXPECT_EQ(Slurp(victim), "keep");
}

TEST(FileUtilTest, ReadFileReadsPipesAndFilesWhole) {
  const std::string dir = TempDir();
  std::string big(100000, 'x');
  big[99999] = 'y';
  ASSERT_TRUE(WriteFileAtomic(dir + "/big", big).ok());
  EXPECT_EQ(Slurp(dir + "/big"), big);
  int p[2];
  ASSERT_EQ(pipe(p), 0);
  ASSERT_EQ(write(p[1], "through a pipe", 14), 14);
  close(p[1]);
  EXPECT_EQ(Slurp("/dev/fd/" + std::to_string(p[0])), "through a pipe");
  close(p[0]);
}

// FileView: a regular file mapped (same bytes as ReadFile), an empty file, a pipe read whole,
// a missing file an error naming it; a moved view keeps its text.
TEST(FileUtilTest, FileViewMapsFilesAndReadsPipes) {
  const std::string dir = TempDir();
  std::string big(300000, 'x');
  big[0] = 'a';
  big[299999] = 'z';
  ASSERT_TRUE(WriteFileAtomic(dir + "/big", big).ok());
  auto v = FileView::Open(dir + "/big");
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_EQ(v->text(), big);
  FileView moved = std::move(v).value();
  EXPECT_EQ(moved.text(), big);
  ASSERT_TRUE(WriteFileAtomic(dir + "/empty", "").ok());
  auto e = FileView::Open(dir + "/empty");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->text(), "");
  int p[2];
  ASSERT_EQ(pipe(p), 0);
  ASSERT_EQ(write(p[1], "dn: cn=x\n", 9), 9);
  close(p[1]);
  auto piped = FileView::Open("/dev/fd/" + std::to_string(p[0]));
  close(p[0]);
  ASSERT_TRUE(piped.ok());
  EXPECT_EQ(piped->text(), "dn: cn=x\n");
  auto missing = FileView::Open(dir + "/nope");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find(dir + "/nope"), std::string::npos);
}

}  // namespace
}  // namespace credsweep
