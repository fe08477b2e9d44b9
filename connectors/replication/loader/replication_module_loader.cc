#include "connectors/replication/loader/replication_module.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>
#include <mutex>

namespace credsweep {
namespace {

// The folder of the running binary (/proc/self/exe resolved).
Result<std::string> BinaryFolder() {
  char buf[PATH_MAX];
  const ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return Status::FromErrno("cannot find the credsweep binary (/proc/self/exe)", errno);
  std::string path(buf, static_cast<size_t>(n));
  return path.substr(0, path.find_last_of('/'));
}

Result<const ReplicationModule*> Load() {
  CS_ASSIGN_OR_RETURN(std::string folder, BinaryFolder());
  const std::string path = folder + "/" + kReplicationModuleFile;
  const std::string fix = "; it is built with the binary (cmake --build BUILD) and must sit beside "
                          "it, owned by root or this user, not writable by group or others";
  // Checked by descriptor and then loaded by the same descriptor's /proc path, so the file
  // checked is the file loaded.
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) {
    return Status::FailedPrecondition("the replication hash source needs " + path + " (" +
                                      std::strerror(errno) + ")" + fix);
  }
  struct stat st;
  const bool safe = ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
                    (st.st_uid == 0 || st.st_uid == ::geteuid()) && (st.st_mode & 022) == 0;
  if (!safe) {
    ::close(fd);
    return Status::FailedPrecondition("refusing to load " + path +
                                      ": not a regular file owned by root or this user, or "
                                      "writable by group or others" + fix);
  }
  const std::string by_fd = "/proc/self/fd/" + std::to_string(fd);
  void* handle = ::dlopen(by_fd.c_str(), RTLD_NOW | RTLD_LOCAL);
  ::close(fd);  // the mapping stays
  if (handle == nullptr) {
    const char* why = ::dlerror();
    return Status::FailedPrecondition("cannot load " + path + ": " + (why ? why : "unknown error") +
                                      " (are Samba's client libraries installed? apt-get install "
                                      "samba-libs)");
  }
  using Entry = const ReplicationModule* (*)();
  auto entry = reinterpret_cast<Entry>(::dlsym(handle, kReplicationModuleEntry));
  const ReplicationModule* module = entry != nullptr ? entry() : nullptr;
  if (module == nullptr || module->abi_version != kReplicationModuleAbi) {
    return Status::FailedPrecondition(path + " is not the replication module of this credsweep "
                                      "build (rebuild both: cmake --build BUILD)");
  }
  return module;  // never unloaded
}

}  // namespace

Result<const ReplicationModule*> LoadReplicationModule() {
  static std::once_flag once;
  static Result<const ReplicationModule*> loaded = Status::Internal("not loaded");
  std::call_once(once, [] { loaded = Load(); });
  return loaded;
}

}  // namespace credsweep
