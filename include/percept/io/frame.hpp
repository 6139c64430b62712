// A camera frame on its way through the pipeline, with everything the models produced for it.
// Frames are pooled and reference counted (FrameRef), so the steady-state frame path reuses
// their pixel and result buffers instead of allocating.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "percept/core/detection.hpp"
#include "percept/core/image.hpp"
#include "percept/core/model_output.hpp"

namespace percept {

// What one model did with one frame. Times are absolute now_ns() readings; 0 = not reached.
struct ModelResult {
  enum class State { pending, done, dropped, failed };
  State state = State::pending;
  ModelOutput output;      // what the model produced (see output.contents)
  int64_t dequeue_ns = 0;  // the executor took the frame from its slot
  int64_t preprocess_end_ns = 0;
  int64_t inference_end_ns = 0;
  int64_t postprocess_end_ns = 0;
  int batch_size = 0;
  std::string error;  // when failed
};

class FramePool;

struct Frame {
  Image image;
  int camera = 0;               // index into the pipeline's cameras
  int64_t index = 0;            // per camera, counting from 0 in capture order
  int64_t capture_ns = 0;       // steady clock (now_ns), for latencies
  int64_t capture_wall_ns = 0;  // system clock, for matching with other sensors
  int64_t complete_ns = 0;      // every model serving the camera is done with it
  int64_t publish_ns = 0;       // handed to the sinks
  bool deadline_missed = false;
  std::vector<ModelResult> results;  // indexed by model; only models serving `camera` are used
  std::atomic<int> pending{0};       // models still to finish (done, dropped or failed)

 private:
  friend class FrameRef;
  friend class FramePool;
  std::atomic<int> refs_{0};
  FramePool* pool_ = nullptr;
};

// Shared ownership of a pooled frame; the last reference returns it to its pool.
class FrameRef {
 public:
  FrameRef() = default;
  explicit FrameRef(Frame* f);
  FrameRef(const FrameRef& o) : FrameRef(o.f_) {}
  FrameRef(FrameRef&& o) noexcept : f_(o.f_) { o.f_ = nullptr; }
  FrameRef& operator=(FrameRef o) noexcept {
    std::swap(f_, o.f_);
    return *this;
  }
  ~FrameRef() { reset(); }
  void reset();
  Frame* get() const { return f_; }
  Frame* operator->() const { return f_; }
  Frame& operator*() const { return *f_; }
  explicit operator bool() const { return f_ != nullptr; }

 private:
  Frame* f_ = nullptr;
};

// Frames for all cameras. acquire() reuses a released frame or makes a new one: the pool
// grows to the pipeline's high-water mark (queues are bounded) and then stays there.
class FramePool {
 public:
  explicit FramePool(size_t num_models) : num_models_(num_models) {}
  ~FramePool();
  FramePool(const FramePool&) = delete;
  FramePool& operator=(const FramePool&) = delete;

  FrameRef acquire();
  size_t allocated() const;

 private:
  friend class FrameRef;
  void release(Frame* f);
  size_t num_models_;
  mutable std::mutex mu_;
  std::vector<Frame*> free_;
  std::vector<Frame*> all_;
};

}  // namespace percept
