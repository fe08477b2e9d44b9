// The file layer every module shares: reading whole files, writing them crash-safely without
// ever following a planted symlink, and the folders they live in.
//
// Why this shape (issue 8): credsweep writes findings, reports, run history, keys and the
// action log, often from a scheduled job into folders an operator set up. A predictable temp
// name ("<path>.tmp.<pid>") opened without O_EXCL|O_NOFOLLOW let a symlink planted there
// redirect the findings into another file, and a shared output folder left them owned by
// someone else. So:
//
//   Folders. MakeDirs creates missing components with the given mode and then VERIFIES the
//     final folder, whether it created it or not: it must be owned by the user running
//     credsweep (the effective uid) and must not be writable by group or others (mode & 022).
//     Otherwise kFailedPrecondition naming the folder and what to do ("run chmod go-w FOLDER").
//     Ancestors are not checked (a folder under a sticky /tmp or a symlinked /var/lib is fine);
//     every write goes through a descriptor of the verified folder (openat/renameat), so a
//     folder renamed or swapped after the check cannot redirect it.
//   Atomic replace. AtomicFile / WriteFileAtomic create the temp file in the verified folder
//     with O_CREAT|O_EXCL|O_NOFOLLOW under an unpredictable name (".NAME.tmp-<16 random hex>",
//     randombytes_buf), write, fsync the file, renameat over the final name, fsync the folder:
//     a crash leaves the old or the new content, never a mix. A final name that is a symlink
//     (or anything but a regular file) is refused, and its target is not touched.
//   Exclusive create. CreateFileExclusive never replaces anything (keys).
//   Logs and locks. OpenNoFollow opens (creating) with O_NOFOLLOW in a verified folder.
//
// The mode given is applied with fchmod, so the umask neither widens nor narrows it.
// Errors are kIOError from errno ("cannot create FOLDER/NAME: Permission denied"),
// kFailedPrecondition for an unsafe folder or a symlink. Thread-safety: free functions,
// safe from any thread; one AtomicFile per writer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <sys/types.h>

#include "engine/base/status.h"

namespace credsweep {

// The whole file. Reads with read(2) into one buffer sized from fstat, so no stream buffer or
// intermediate copy is left behind: a caller that wipes the returned string (LDIF text that
// may hold sambaNTPassword) leaves no other copy. Secrets use ReadSecret (secure_memory.h).
Result<std::string> ReadFile(const std::string& path);

// A whole file to read once, without a copy: a regular file is mapped read-only (mmap(2),
// MAP_PRIVATE, pre-faulted from the page cache), so a 50 MB LDIF export costs neither a
// zero-filled 50 MB buffer nor a copy into it (issue 11: ~0.06 s of the audit's critical path
// at 100 000 accounts); anything else (a pipe, /dev/stdin) is read with ReadFile. Secret values
// in the file stay where they already are (the page cache); a copy read from a pipe is wiped
// when the view goes. Errors as ReadFile. Move-only; the view lives as long as the object.
class FileView {
 public:
  [[nodiscard]] static Result<FileView> Open(const std::string& path);
  FileView(FileView&& other) noexcept;
  FileView& operator=(FileView&& other) noexcept;
  FileView(const FileView&) = delete;
  FileView& operator=(const FileView&) = delete;
  ~FileView();
  std::string_view text() const { return map_ != nullptr ? std::string_view(map_, size_) : copy_; }

 private:
  FileView() = default;
  void Release();
  const char* map_ = nullptr;  // the mapping, or null (then copy_ holds the text)
  size_t size_ = 0;
  std::string copy_;
};

// write(2) until all `len` bytes are written (EINTR and short writes retried).
// kIOError "cannot write <what>: <reason>".
Status WriteAll(int fd, const void* data, size_t len, const std::string& what);

// mkdir -p: missing components are created with `mode`; then the final folder is verified
// (see above). kFailedPrecondition when it is not owned by us or is group/other-writable.
Status MakeDirs(const std::string& path, mode_t mode = 0700);

// The folder check alone, on an open descriptor of `path` (kFailedPrecondition as above).
Status CheckFolderIsOurs(int dir_fd, const std::string& path);

// A file being written for an atomic replace of `path`. Typical use:
//   CS_ASSIGN_OR_RETURN(AtomicFile f, AtomicFile::Create(path, 0600));
//   CS_RETURN_IF_ERROR(f.Write(data, n));
//   CS_RETURN_IF_ERROR(f.Commit());   // fsync, rename over path, fsync folder
// Destroying it without Commit removes the temp file.
class AtomicFile {
 public:
  // Verifies the folder of `path` (which must exist: call MakeDirs first) and refuses a final
  // name that is a symlink or not a regular file.
  [[nodiscard]] static Result<AtomicFile> Create(const std::string& path, mode_t mode = 0600);
  AtomicFile() = default;  // closed; assign from Create
  AtomicFile(AtomicFile&& other) noexcept;
  AtomicFile& operator=(AtomicFile&& other) noexcept;
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;
  ~AtomicFile();

  [[nodiscard]] Status Write(const void* data, size_t len);
  [[nodiscard]] Status Write(std::string_view s) { return Write(s.data(), s.size()); }
  // fsync(2) of what was written so far, without committing: a writer thread ends with it so
  // that several files reach the disk at once and their Commits find little left to flush.
  [[nodiscard]] Status Sync();
  [[nodiscard]] Status Commit();
  int fd() const { return fd_; }
  const std::string& path() const { return path_; }

 private:
  void Abandon();
  std::string path_;
  std::string tmp_name_;  // inside the folder
  int dir_fd_ = -1;
  int fd_ = -1;
  uint64_t written_ = 0;  // bytes written
  uint64_t kicked_ = 0;   // bytes whose writeback Write has started (sync_file_range)
};

// Replaces `path` with `content` through an AtomicFile. mode 0600 for anything that names
// accounts (findings, reports, history, outbox).
Status WriteFileAtomic(const std::string& path, std::string_view content, mode_t mode = 0600);

// Creates `path` with O_CREAT|O_EXCL|O_NOFOLLOW (never replacing anything, never through a
// symlink) in a verified folder, writes `content` and fsyncs file and folder.
// kFailedPrecondition "PATH already exists; refusing to overwrite it" when the name is taken.
Status CreateFileExclusive(const std::string& path, std::string_view content, mode_t mode);

// Opens `path` with `flags` (e.g. O_RDWR | O_APPEND for a log) plus O_NOFOLLOW | O_CLOEXEC,
// creating it with `mode` when absent, in a verified folder (the folder is fsynced when the
// file is new, so its entry survives a crash). A symlink or non-regular file at `path` is
// refused. Returns the descriptor; the caller closes it.
Result<int> OpenNoFollow(const std::string& path, int flags, mode_t mode = 0600);

// fsync a directory so a rename/creation in it is durable.
Status SyncDir(const std::string& dir);
// The directory part of a path ("." for a bare name).
std::string DirName(const std::string& path);
// Joins base and rel unless rel is absolute or empty.
std::string ResolvePath(const std::string& base_dir, const std::string& rel);

}  // namespace credsweep
