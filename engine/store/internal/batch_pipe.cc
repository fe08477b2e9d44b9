#include "engine/store/internal/batch_pipe.h"

#include <utility>

namespace credsweep::store {

using corpus::CorpusRecord;

BatchPipe::BatchPipe(corpus::RecordSink consumer, size_t depth)
    : consumer_(std::move(consumer)), depth_(depth < 1 ? 1 : depth) {
  thread_ = std::thread([this] { Run(); });
}

BatchPipe::~BatchPipe() { (void)Close(); }

Status BatchPipe::Push(std::span<const CorpusRecord> records) {
  std::vector<CorpusRecord> buffer;
  {
    std::unique_lock<std::mutex> lock(mu_);
    changed_.wait(lock, [this] { return !error_.ok() || closing_ || queued_.size() < depth_; });
    if (!error_.ok()) return error_;
    if (closing_) return Status::Internal("BatchPipe::Push after Close");
    if (!free_.empty()) {
      buffer = std::move(free_.back());
      free_.pop_back();
    }
  }
  buffer.assign(records.begin(), records.end());  // outside the lock: the consumer keeps going
  {
    std::lock_guard<std::mutex> lock(mu_);
    queued_.push_back(std::move(buffer));
  }
  changed_.notify_all();
  return Status::Ok();
}

Status BatchPipe::Close() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    closing_ = true;
  }
  changed_.notify_all();
  if (thread_.joinable()) thread_.join();
  std::lock_guard<std::mutex> lock(mu_);
  return error_;
}

void BatchPipe::Run() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    changed_.wait(lock, [this] { return !queued_.empty() || closing_; });
    if (queued_.empty()) return;  // closing and drained
    std::vector<CorpusRecord> batch = std::move(queued_.front());
    queued_.pop_front();
    lock.unlock();
    changed_.notify_all();  // a slot is free
    Status s = consumer_(batch);
    lock.lock();
    free_.push_back(std::move(batch));
    if (!s.ok()) {
      error_ = std::move(s);
      queued_.clear();
      changed_.notify_all();
      return;
    }
  }
}

}  // namespace credsweep::store
