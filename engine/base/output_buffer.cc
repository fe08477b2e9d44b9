#include "engine/base/output_buffer.h"

namespace credsweep {

void OutputBuffer::Flush() {
  if (file_ == nullptr || buf_.empty()) return;
  if (status_.ok()) status_ = file_->Write(buf_);
  buf_.clear();
}

Status OutputBuffer::Finish() {
  Flush();
  return status_;
}

}  // namespace credsweep
