// Small file helpers every module shares: whole-file read, crash-safe replace, private files.
//
// WriteFileAtomic writes to "<path>.tmp.<pid>", fsyncs, renames over <path> and fsyncs the
// directory, so a crash leaves either the old or the new content, never a mix.
#pragma once

#include <string>
#include <sys/types.h>

#include "engine/base/status.h"

namespace credsweep {

Result<std::string> ReadFile(const std::string& path);
// mode 0600 for anything that names accounts (findings, reports, logs, keys).
Status WriteFileAtomic(const std::string& path, const std::string& content, mode_t mode = 0600);
// mkdir -p with the given mode for newly created components.
Status MakeDirs(const std::string& path, mode_t mode = 0700);
// fsync a directory so a rename/creation in it is durable.
Status SyncDir(const std::string& dir);
// The directory part of a path ("." for a bare name).
std::string DirName(const std::string& path);
// Joins base and rel unless rel is absolute or empty.
std::string ResolvePath(const std::string& base_dir, const std::string& rel);

}  // namespace credsweep
