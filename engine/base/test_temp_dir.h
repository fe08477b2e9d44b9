// Test-only (included by *_test.cc files, never by library code): fresh temporary directories
// that are removed when the test program exits. One way for every test to get a scratch
// directory, whether per test (fixture SetUp) or per program.
#ifndef CREDSWEEP_ENGINE_BASE_TEST_TEMP_DIR_H_
#define CREDSWEEP_ENGINE_BASE_TEST_TEMP_DIR_H_

#include <stdlib.h>

#include <filesystem>
#include <string>
#include <vector>

namespace credsweep {

// Makes a new, empty directory /tmp/PREFIX_XXXXXX (0700) and returns its path. Every directory
// made is removed by a static destructor when the test program exits normally; a forked child
// that is killed (e.g. a lock holder) never runs it, so it cannot remove the parent's dirs early.
// Returns "" when mkdtemp fails; the test then fails at its first file operation.
inline std::string MakeTestTempDir(const std::string& prefix) {
  struct Made {
    std::vector<std::string> dirs;
    ~Made() {
      for (const std::string& d : dirs) std::filesystem::remove_all(d);
    }
  };
  static Made made;
  std::string tmpl = "/tmp/" + prefix + "_XXXXXX";
  if (mkdtemp(tmpl.data()) == nullptr) return "";
  made.dirs.push_back(tmpl);
  return tmpl;
}

}  // namespace credsweep

#endif  // CREDSWEEP_ENGINE_BASE_TEST_TEMP_DIR_H_
