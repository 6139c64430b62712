#include "percept/io/frame.hpp"

namespace percept {

FrameRef::FrameRef(Frame* f) : f_(f) {
  if (f_) f_->refs_.fetch_add(1, std::memory_order_relaxed);
}

void FrameRef::reset() {
  if (f_ && f_->refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) f_->pool_->release(f_);
  f_ = nullptr;
}

FramePool::~FramePool() {
  for (Frame* f : all_) delete f;
}

FrameRef FramePool::acquire() {
  Frame* f = nullptr;
  {
    std::lock_guard lock(mu_);
    if (!free_.empty()) {
      f = free_.back();
      free_.pop_back();
    } else {
      f = new Frame();
      f->pool_ = this;
      f->results.resize(num_models_);
      all_.push_back(f);
      free_.reserve(all_.size());
    }
  }
  for (ModelResult& r : f->results) {
    r.state = ModelResult::State::pending;
    r.output.clear();  // keeps capacity
    r.dequeue_ns = r.preprocess_end_ns = r.inference_end_ns = r.postprocess_end_ns = 0;
    r.batch_size = 0;
    r.error.clear();
  }
  f->complete_ns = f->publish_ns = 0;
  f->deadline_missed = false;
  f->pending.store(0, std::memory_order_relaxed);
  return FrameRef(f);
}

size_t FramePool::allocated() const {
  std::lock_guard lock(mu_);
  return all_.size();
}

void FramePool::release(Frame* f) {
  std::lock_guard lock(mu_);
  free_.push_back(f);
}

}  // namespace percept
