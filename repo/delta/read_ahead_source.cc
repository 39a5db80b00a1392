// File: repo/delta/read_ahead_source.cc
#include "repo/delta/read_ahead_source.h"

#include <algorithm>
#include <cstring>

namespace larch::delta {

ReadAheadSource::ReadAheadSource(std::unique_ptr<ByteSource> inner) : inner_(std::move(inner)) {
  thread_ = std::thread([this] { Run(); });
}

ReadAheadSource::~ReadAheadSource() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void ReadAheadSource::Run() {
  for (;;) {
    Bytes chunk;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] { return stop_ || full_.size() < kChunks; });
      if (stop_) return;
      if (!spare_.empty()) {
        chunk = std::move(spare_.back());
        spare_.pop_back();
      }
    }
    chunk.resize(kChunk);
    size_t got = 0;
    Status error;
    bool end = false;
    while (got < chunk.size() && error.ok() && !end) {
      Result<size_t> n = inner_->Read(MutableByteSpan(chunk.data() + got, chunk.size() - got));
      if (!n.ok()) {
        error = n.status();
      } else {
        got += *n;
        end = *n == 0;
      }
    }
    chunk.resize(got);
    std::lock_guard<std::mutex> lock(mu_);
    if (!chunk.empty()) full_.push_back(std::move(chunk));
    cv_.notify_all();
    if (!error.ok() || end) {
      error_ = error;
      ended_ = true;
      return;
    }
  }
}

Result<size_t> ReadAheadSource::Read(MutableByteSpan buf) {
  if (buf.empty()) return size_t{0};
  if (pos_ == current_.size()) {
    std::unique_lock<std::mutex> lock(mu_);
    if (!current_.empty()) spare_.push_back(std::move(current_));
    current_.clear();
    pos_ = 0;
    cv_.notify_all();  // room for one more chunk
    cv_.wait(lock, [&] { return !full_.empty() || ended_; });
    if (full_.empty()) {
      if (!error_.ok()) return error_;
      return size_t{0};
    }
    current_ = std::move(full_.front());
    full_.pop_front();
  }
  size_t n = std::min(buf.size(), current_.size() - pos_);
  std::memcpy(buf.data(), current_.data() + pos_, n);
  pos_ += n;
  return n;
}

}  // namespace larch::delta
