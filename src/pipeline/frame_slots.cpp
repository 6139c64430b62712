#include "percept/pipeline/frame_slots.hpp"

namespace percept {

FrameSlots::FrameSlots(size_t num_cameras, size_t depth, bool lossless)
    : queues_(num_cameras),
      closed_(num_cameras, false),
      depth_(depth ? depth : 1),
      lossless_(lossless) {}

bool FrameSlots::push(size_t camera, FrameRef f, FrameRef* displaced) {
  std::unique_lock lock(mu_);
  auto& q = queues_[camera];
  if (lossless_) {
    room_.wait(lock, [&] { return shut_ || q.size() < depth_; });
  } else if (q.size() >= depth_) {
    if (displaced) *displaced = std::move(q.front());
    q.pop_front();
  }
  if (shut_ || closed_[camera]) return false;
  q.push_back(std::move(f));
  ready_.notify_one();
  return true;
}

void FrameSlots::close(size_t camera) {
  std::lock_guard lock(mu_);
  closed_[camera] = true;
  ready_.notify_all();
}

void FrameSlots::close_all() {
  std::lock_guard lock(mu_);
  shut_ = true;
  for (size_t i = 0; i < closed_.size(); ++i) closed_[i] = true;
  ready_.notify_all();
  room_.notify_all();
}

bool FrameSlots::all_closed_and_empty() const {
  for (size_t i = 0; i < queues_.size(); ++i)
    if (!closed_[i] || !queues_[i].empty()) return false;
  return true;
}

void FrameSlots::take_ready(size_t max_batch, std::vector<FrameRef>& out) {
  const size_t n = queues_.size();
  bool took = true;
  while (out.size() < max_batch && took) {
    took = false;
    for (size_t k = 0; k < n && out.size() < max_batch; ++k) {
      auto& q = queues_[(next_ + k) % n];
      if (q.empty()) continue;
      out.push_back(std::move(q.front()));
      q.pop_front();
      took = true;
    }
  }
  next_ = (next_ + 1) % n;  // the next batch starts with the next camera
  room_.notify_all();
}

bool FrameSlots::take_batch(size_t max_batch, std::chrono::microseconds max_wait,
                            std::vector<FrameRef>& out) {
  out.clear();
  std::unique_lock lock(mu_);
  ready_.wait(lock, [&] {
    if (all_closed_and_empty()) return true;
    for (const auto& q : queues_)
      if (!q.empty()) return true;
    return false;
  });
  take_ready(max_batch, out);
  if (out.empty()) return false;
  if (out.size() < max_batch && max_wait.count() > 0) {
    // Dynamic batching: a fuller batch is worth a bounded wait (Triton's max_queue_delay).
    const auto until = std::chrono::steady_clock::now() + max_wait;
    while (out.size() < max_batch && !all_closed_and_empty()) {
      const bool more = ready_.wait_until(lock, until, [&] {
        if (all_closed_and_empty()) return true;
        for (const auto& q : queues_)
          if (!q.empty()) return true;
        return false;
      });
      if (!more) break;
      take_ready(max_batch, out);
    }
  }
  return true;
}

size_t FrameSlots::waiting() const {
  std::lock_guard lock(mu_);
  size_t n = 0;
  for (const auto& q : queues_) n += q.size();
  return n;
}

}  // namespace percept
