#include "engine/base/file_util.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <utility>

#include "engine/base/hex.h"
#include "engine/base/secure_memory.h"

namespace credsweep {
namespace {

std::string BaseName(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::string Octal(mode_t mode) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(mode & 07777));
  return buf;
}

// Opens the folder of `path` and verifies it; the descriptor anchors every later *at() call.
Result<int> OpenVerifiedFolder(const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Status::FromErrno("cannot open folder " + dir, errno);
  Status s = CheckFolderIsOurs(fd, dir);
  if (!s.ok()) {
    ::close(fd);
    return s;
  }
  return fd;
}

// Refuses a final name that is a symlink or not a regular file; absent is fine.
Status CheckFinalName(int dir_fd, const std::string& name, const std::string& path) {
  struct stat st;
  if (::fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno == ENOENT) return Status::Ok();
    return Status::FromErrno("cannot check " + path, errno);
  }
  if (S_ISLNK(st.st_mode)) {
    return Status::FailedPrecondition(path + " is a symbolic link; credsweep never writes "
                                             "through one. Remove it and run again");
  }
  if (!S_ISREG(st.st_mode)) {
    return Status::FailedPrecondition(path + " exists and is not a regular file; move it away");
  }
  return Status::Ok();
}

}  // namespace

Result<std::string> ReadFile(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::FromErrno("cannot open " + path, errno);
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    const int err = errno;
    ::close(fd);
    return Status::FromErrno("cannot read " + path, err);
  }
  // Sized from fstat so a regular file is read into its final buffer with no regrowth; a pipe
  // or /proc file grows by doubling, and every buffer given up is wiped first.
  std::string out(S_ISREG(st.st_mode) ? static_cast<size_t>(st.st_size) + 1 : 4096, '\0');
  size_t len = 0;
  for (;;) {
    if (len == out.size()) {
      std::string bigger(out.size() * 2, '\0');
      bigger.replace(0, len, out.data(), len);
      sodium_memzero(out.data(), out.size());
      out.swap(bigger);
    }
    const ssize_t n = ::read(fd, out.data() + len, out.size() - len);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      ::close(fd);
      sodium_memzero(out.data(), out.size());
      return Status::FromErrno("cannot read " + path, err);
    }
    if (n == 0) break;
    len += static_cast<size_t>(n);
  }
  ::close(fd);
  out.resize(len);  // shrinking never reallocates
  return out;
}

Result<FileView> FileView::Open(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::FromErrno("cannot open " + path, errno);
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    const int err = errno;
    ::close(fd);
    return Status::FromErrno("cannot read " + path, err);
  }
  FileView v;
  if (S_ISREG(st.st_mode) && st.st_size > 0) {
    void* p = ::mmap(nullptr, static_cast<size_t>(st.st_size), PROT_READ,
                     MAP_PRIVATE | MAP_POPULATE, fd, 0);
    ::close(fd);
    if (p == MAP_FAILED) return Status::FromErrno("cannot map " + path, errno);
    v.map_ = static_cast<const char*>(p);
    v.size_ = static_cast<size_t>(st.st_size);
    return v;
  }
  ::close(fd);
  CS_ASSIGN_OR_RETURN(v.copy_, ReadFile(path));
  return v;
}

FileView::FileView(FileView&& other) noexcept { *this = std::move(other); }

FileView& FileView::operator=(FileView&& other) noexcept {
  if (this != &other) {
    Release();
    map_ = std::exchange(other.map_, nullptr);
    size_ = std::exchange(other.size_, 0);
    copy_ = std::move(other.copy_);
    // A short string moves by copying its bytes; the source's buffer still holds them.
    sodium_memzero(other.copy_.data(), other.copy_.capacity());
    other.copy_.clear();
  }
  return *this;
}

FileView::~FileView() { Release(); }

void FileView::Release() {
  if (map_ != nullptr) ::munmap(const_cast<char*>(map_), size_);
  map_ = nullptr;
  size_ = 0;
  sodium_memzero(copy_.data(), copy_.size());
  copy_.clear();
}

Status WriteAll(int fd, const void* data, size_t len, const std::string& what) {
  const char* p = static_cast<const char*>(data);
  while (len > 0) {
    const ssize_t n = ::write(fd, p, len);  // Linux writes at most ~2 GiB per call; loop on
    if (n < 0) {
      if (errno == EINTR) continue;
      return Status::FromErrno("cannot write " + what, errno);
    }
    p += n;
    len -= static_cast<size_t>(n);
  }
  return Status::Ok();
}

Status CheckFolderIsOurs(int dir_fd, const std::string& path) {
  struct stat st;
  if (::fstat(dir_fd, &st) != 0) return Status::FromErrno("cannot check folder " + path, errno);
  if (!S_ISDIR(st.st_mode)) return Status::FailedPrecondition(path + " is not a folder");
  const uid_t me = ::geteuid();
  if (st.st_uid != me) {
    return Status::FailedPrecondition(
        "folder " + path + " is owned by uid " + std::to_string(st.st_uid) +
        ", not by the user running credsweep (uid " + std::to_string(me) +
        "); another user could replace what credsweep writes there. Use a folder this user "
        "owns (or chown it)");
  }
  if ((st.st_mode & 022) != 0) {
    return Status::FailedPrecondition(
        "folder " + path + " is writable by group or others (mode " + Octal(st.st_mode) +
        "); another user could replace what credsweep writes there. Run `chmod go-w " + path +
        "` or choose a private folder");
  }
  return Status::Ok();
}

Status MakeDirs(const std::string& path, mode_t mode) {
  if (path.empty()) return Status::Ok();
  size_t pos = 0;
  while (pos != std::string::npos) {
    pos = path.find('/', pos + 1);
    const std::string cur = path.substr(0, pos);
    if (cur.empty()) continue;
    if (::mkdir(cur.c_str(), mode) == 0) {
      // mkdir applies the umask; set exactly what was asked for.
      if (::chmod(cur.c_str(), mode) != 0) {
        return Status::FromErrno("cannot set the mode of " + cur, errno);
      }
    } else if (errno != EEXIST) {
      return Status::FromErrno("cannot create folder " + cur, errno);
    }
  }
  CS_ASSIGN_OR_RETURN(const int fd, OpenVerifiedFolder(path));
  ::close(fd);
  return Status::Ok();
}

// ---- AtomicFile --------------------------------------------------------------------------------

Result<AtomicFile> AtomicFile::Create(const std::string& path, mode_t mode) {
  CS_RETURN_IF_ERROR(InitSodium());
  const std::string dir = DirName(path);
  const std::string name = BaseName(path);
  if (name.empty() || name == "." || name == "..") {
    return Status::InvalidArgument("\"" + path + "\" does not name a file");
  }
  AtomicFile f;
  f.path_ = path;
  CS_ASSIGN_OR_RETURN(f.dir_fd_, OpenVerifiedFolder(dir));
  CS_RETURN_IF_ERROR(CheckFinalName(f.dir_fd_, name, path));
  uint8_t rnd[8];
  randombytes_buf(rnd, sizeof rnd);
  f.tmp_name_ = "." + name + ".tmp-" + HexEncode(rnd, sizeof rnd);
  f.fd_ = ::openat(f.dir_fd_, f.tmp_name_.c_str(),
                   O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
  if (f.fd_ < 0) {
    const int err = errno;
    f.tmp_name_.clear();  // not ours: never unlink what someone else put there
    return Status::FromErrno("cannot create a temporary file in " + dir, err);
  }
  if (::fchmod(f.fd_, mode) != 0) return Status::FromErrno("cannot set the mode of " + path, errno);
  return f;
}

AtomicFile::AtomicFile(AtomicFile&& o) noexcept
    : path_(std::move(o.path_)),
      tmp_name_(std::move(o.tmp_name_)),
      dir_fd_(std::exchange(o.dir_fd_, -1)),
      fd_(std::exchange(o.fd_, -1)),
      written_(std::exchange(o.written_, 0)),
      kicked_(std::exchange(o.kicked_, 0)) {
  o.tmp_name_.clear();
}

AtomicFile& AtomicFile::operator=(AtomicFile&& o) noexcept {
  if (this != &o) {
    Abandon();
    path_ = std::move(o.path_);
    tmp_name_ = std::exchange(o.tmp_name_, std::string());
    dir_fd_ = std::exchange(o.dir_fd_, -1);
    fd_ = std::exchange(o.fd_, -1);
    written_ = std::exchange(o.written_, 0);
    kicked_ = std::exchange(o.kicked_, 0);
  }
  return *this;
}

AtomicFile::~AtomicFile() { Abandon(); }

void AtomicFile::Abandon() {
  if (fd_ >= 0) ::close(fd_);
  if (dir_fd_ >= 0 && !tmp_name_.empty()) ::unlinkat(dir_fd_, tmp_name_.c_str(), 0);
  if (dir_fd_ >= 0) ::close(dir_fd_);
  fd_ = dir_fd_ = -1;
  tmp_name_.clear();
}

Status AtomicFile::Write(const void* data, size_t len) {
  if (fd_ < 0) return Status::Internal("write to a closed AtomicFile for " + path_);
  CS_RETURN_IF_ERROR(WriteAll(fd_, data, len, path_));
  written_ += len;
  // Start writeback of every full 8 MiB as it is written (asynchronous: this does not wait),
  // so Commit's fsync finds less left to write (issue 11: fsyncing the ~100 MB findings.json
  // of a 100 000-account audit at the end was a quarter of a second of waiting). Only a hint:
  // where the file system does not support it, Commit's fsync does all the work as before.
  constexpr uint64_t kKick = uint64_t{8} << 20;
  if (written_ - kicked_ >= kKick) {
    const uint64_t upto = written_ / kKick * kKick;
    (void)::sync_file_range(fd_, static_cast<off_t>(kicked_), static_cast<off_t>(upto - kicked_),
                            SYNC_FILE_RANGE_WRITE);
    kicked_ = upto;
  }
  return Status::Ok();
}

Status AtomicFile::Sync() {
  if (fd_ < 0) return Status::Internal("sync of a closed AtomicFile for " + path_);
  if (::fsync(fd_) != 0) return Status::FromErrno("cannot flush " + path_, errno);
  return Status::Ok();
}

Status AtomicFile::Commit() {
  if (fd_ < 0) return Status::Internal("commit of a closed AtomicFile for " + path_);
  if (::fsync(fd_) != 0) return Status::FromErrno("cannot flush " + path_, errno);
  const int rc = ::close(fd_);
  fd_ = -1;
  if (rc != 0) return Status::FromErrno("cannot flush " + path_, errno);
  const std::string name = BaseName(path_);
  // Checked again just before the rename: a symlink planted since Create is refused too.
  // (rename replaces a symlink itself rather than following it, so its target stays untouched
  // even if one appears after this check.)
  CS_RETURN_IF_ERROR(CheckFinalName(dir_fd_, name, path_));
  if (::renameat(dir_fd_, tmp_name_.c_str(), dir_fd_, name.c_str()) != 0) {
    return Status::FromErrno("cannot replace " + path_, errno);
  }
  tmp_name_.clear();
  if (::fsync(dir_fd_) != 0) return Status::FromErrno("cannot flush folder of " + path_, errno);
  Abandon();
  return Status::Ok();
}

Status WriteFileAtomic(const std::string& path, std::string_view content, mode_t mode) {
  CS_ASSIGN_OR_RETURN(AtomicFile f, AtomicFile::Create(path, mode));
  CS_RETURN_IF_ERROR(f.Write(content));
  return f.Commit();
}

Status CreateFileExclusive(const std::string& path, std::string_view content, mode_t mode) {
  const std::string dir = DirName(path);
  CS_ASSIGN_OR_RETURN(const int dir_fd, OpenVerifiedFolder(dir));
  const std::string name = BaseName(path);
  const int fd = ::openat(dir_fd, name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                          mode);
  if (fd < 0) {
    const int err = errno;
    ::close(dir_fd);
    if (err == EEXIST) {
      return Status::FailedPrecondition(path + " already exists; refusing to overwrite it");
    }
    return Status::FromErrno("cannot create " + path, err);
  }
  Status s;
  if (::fchmod(fd, mode) != 0) s = Status::FromErrno("cannot set the mode of " + path, errno);
  if (s.ok()) s = WriteAll(fd, content.data(), content.size(), path);
  if (s.ok() && ::fsync(fd) != 0) s = Status::FromErrno("cannot flush " + path, errno);
  ::close(fd);
  if (!s.ok()) ::unlinkat(dir_fd, name.c_str(), 0);
  if (s.ok() && ::fsync(dir_fd) != 0) s = Status::FromErrno("cannot flush folder " + dir, errno);
  ::close(dir_fd);
  return s;
}

Result<int> OpenNoFollow(const std::string& path, int flags, mode_t mode) {
  const std::string dir = DirName(path);
  CS_ASSIGN_OR_RETURN(const int dir_fd, OpenVerifiedFolder(dir));
  const std::string name = BaseName(path);
  Status s = CheckFinalName(dir_fd, name, path);
  if (!s.ok()) {
    ::close(dir_fd);
    return s;
  }
  flags = (flags & ~(O_CREAT | O_EXCL)) | O_NOFOLLOW | O_CLOEXEC;
  int fd = ::openat(dir_fd, name.c_str(), flags);
  if (fd < 0 && errno == ENOENT) {
    fd = ::openat(dir_fd, name.c_str(), flags | O_CREAT | O_EXCL, mode);
    if (fd >= 0 && (::fchmod(fd, mode) != 0 || ::fsync(dir_fd) != 0)) {
      const int err = errno;
      ::close(fd);
      ::close(dir_fd);
      return Status::FromErrno("cannot create " + path, err);
    }
  }
  const int err = errno;
  ::close(dir_fd);
  if (fd < 0) return Status::FromErrno("cannot open " + path, err);
  return fd;
}

Status SyncDir(const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Status::FromErrno("cannot open directory " + dir, errno);
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  if (rc != 0) return Status::FromErrno("cannot fsync directory " + dir, err);
  return Status::Ok();
}

std::string DirName(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

std::string ResolvePath(const std::string& base_dir, const std::string& rel) {
  if (rel.empty() || rel[0] == '/' || base_dir.empty()) return rel;
  return base_dir + "/" + rel;
}

}  // namespace credsweep
