#include "percept/pipeline/frame_board.hpp"

#include <algorithm>

namespace percept {

FrameBoard::FrameBoard(size_t num_cameras, size_t num_models, bool lossless)
    : cams_(num_cameras), model_cameras_(num_models), next_(num_models, 0), lossless_(lossless) {}

void FrameBoard::configure(size_t camera, std::vector<size_t> models, size_t depth) {
  std::lock_guard lock(mu_);
  Camera& c = cams_[camera];
  c.models = std::move(models);
  c.all_taken = c.models.size() >= 64 ? ~uint64_t{0} : (uint64_t{1} << c.models.size()) - 1;
  c.depth = depth ? depth : 1;
  for (size_t m : c.models) model_cameras_[m].push_back(camera);
}

size_t FrameBoard::started(const Camera& c) {
  size_t n = 0;
  while (n < c.queue.size() && c.queue[n].taken != 0) ++n;
  return n;
}

bool FrameBoard::push(size_t camera, FrameRef f, std::vector<FrameRef>* displaced) {
  std::unique_lock lock(mu_);
  Camera& c = cams_[camera];
  if (lossless_) {
    changed_.wait(lock, [&] { return shut_ || c.queue.size() - started(c) < c.depth; });
  } else {
    // Displace the oldest frames no model has started until the new one fits.
    size_t s = started(c);
    while (c.queue.size() - s >= c.depth) {
      if (displaced) displaced->push_back(std::move(c.queue[s].frame));
      c.queue.erase(c.queue.begin() + static_cast<std::ptrdiff_t>(s));
    }
  }
  if (shut_ || c.closed) return false;
  c.queue.push_back({std::move(f), 0});
  changed_.notify_all();
  return true;
}

void FrameBoard::close(size_t camera) {
  std::lock_guard lock(mu_);
  cams_[camera].closed = true;
  changed_.notify_all();
}

void FrameBoard::close_all() {
  std::lock_guard lock(mu_);
  shut_ = true;
  for (Camera& c : cams_) c.closed = true;
  changed_.notify_all();
}

size_t FrameBoard::take_ready(size_t model, size_t max_batch, std::vector<FrameRef>& out) {
  const auto& cams = model_cameras_[model];
  const size_t before = out.size();
  bool took = true;
  while (out.size() < max_batch && took) {
    took = false;
    for (size_t k = 0; k < cams.size() && out.size() < max_batch; ++k) {
      Camera& c = cams_[cams[(next_[model] + k) % cams.size()]];
      const auto pos = std::find(c.models.begin(), c.models.end(), model) - c.models.begin();
      const uint64_t bit = uint64_t{1} << pos;
      size_t i = 0;
      while (i < c.queue.size() && (c.queue[i].taken & bit)) ++i;
      if (i == c.queue.size()) continue;
      // A frame nobody started may be started only when no started frame still waits for the
      // camera's other models (a fast model keeps pace with a slow one on the same frames).
      if (c.queue[i].taken == 0 && started(c) >= 1) continue;
      c.queue[i].taken |= bit;
      out.push_back(c.queue[i].frame);
      took = true;
      while (!c.queue.empty() && c.queue.front().taken == c.all_taken) c.queue.pop_front();
    }
  }
  if (!cams.empty()) next_[model] = (next_[model] + 1) % cams.size();
  if (out.size() != before) changed_.notify_all();  // room for pushes, work for other models
  return out.size() - before;
}

bool FrameBoard::anything_for(size_t model) const {
  for (size_t ci : model_cameras_[model]) {
    const Camera& c = cams_[ci];
    const auto pos = std::find(c.models.begin(), c.models.end(), model) - c.models.begin();
    const uint64_t bit = uint64_t{1} << pos;
    for (const Entry& e : c.queue)
      if (!(e.taken & bit)) {
        if (e.taken == 0 && started(c) >= 1) break;
        return true;
      }
  }
  return false;
}

bool FrameBoard::drained_for(size_t model) const {
  for (size_t ci : model_cameras_[model]) {
    const Camera& c = cams_[ci];
    if (!c.closed) return false;
    const auto pos = std::find(c.models.begin(), c.models.end(), model) - c.models.begin();
    const uint64_t bit = uint64_t{1} << pos;
    for (const Entry& e : c.queue)
      if (!(e.taken & bit)) return false;
  }
  return true;
}

bool FrameBoard::take_batch(size_t model, size_t max_batch, std::chrono::microseconds max_wait,
                            std::vector<FrameRef>& out) {
  out.clear();
  std::unique_lock lock(mu_);
  changed_.wait(lock, [&] { return anything_for(model) || drained_for(model) || shut_; });
  take_ready(model, max_batch, out);
  if (out.empty()) return !(drained_for(model) || shut_);
  if (out.size() < max_batch && max_wait.count() > 0) {
    // Dynamic batching: a fuller batch is worth a bounded wait (Triton's max_queue_delay).
    const auto until = std::chrono::steady_clock::now() + max_wait;
    while (out.size() < max_batch && !drained_for(model) && !shut_) {
      if (!changed_.wait_until(lock, until, [&] { return anything_for(model) || shut_; })) break;
      take_ready(model, max_batch, out);
    }
  }
  return true;
}

}  // namespace percept
