// OutputBuffer: bytes on their way to a file in bounded pieces, for the outputs that grow with
// the directory (findings.json through JsonWriter, findings.csv). It gathers appends in one
// buffer and writes it to an AtomicFile whenever 1 MiB has gathered, so a 57 MB findings.json
// never exists as one string (issue 11); or it collects into a std::string (tests, small
// documents).
//
// Failure policy: the first write error is kept and returned by Finish; appends after it are
// dropped. The caller still decides whether to Commit the AtomicFile. Thread-safety: none.
#pragma once

#include <string>
#include <string_view>

#include "engine/base/file_util.h"
#include "engine/base/status.h"

namespace credsweep {

class OutputBuffer {
 public:
  // Flushes to `file` whenever 1 MiB has gathered; the caller Commits the file after Finish.
  explicit OutputBuffer(AtomicFile* file) : file_(file), dst_(&buf_) {
    buf_.reserve(kFlushAt + 4096);
  }
  // Appends everything to `*text` (tests, FindingsToJson).
  explicit OutputBuffer(std::string* text) : dst_(text) {}
  OutputBuffer(const OutputBuffer&) = delete;
  OutputBuffer& operator=(const OutputBuffer&) = delete;

  void Append(std::string_view s) {
    dst_->append(s);
    if (buf_.size() >= kFlushAt) Flush();
  }
  void Append(char c) {
    dst_->push_back(c);
    if (buf_.size() >= kFlushAt) Flush();
  }
  // Writes what is left; the first error of any flush, else Ok.
  [[nodiscard]] Status Finish();

 private:
  static constexpr size_t kFlushAt = size_t{1} << 20;
  void Flush();

  AtomicFile* file_ = nullptr;  // nullptr: collecting into a string
  std::string buf_;             // gathers for file_
  std::string* dst_;            // &buf_, or the caller's string
  Status status_;
};

}  // namespace credsweep
