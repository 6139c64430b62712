// The latest-frame slots of every camera, shared by the executors of the models that serve it.
//
// Each camera has one bounded FIFO of frames. Live mode: when the frames no model has started
// exceed the camera's depth, the oldest of them is displaced (dropped for every model, so that
// the models of one camera keep working on the same frames and their results can be fused).
// Lossless mode: push() waits for room, so back-pressure reaches the source.
//
// A model takes, per camera, the oldest frame it has not taken yet. A frame no model has
// started may be started only when no started frame still waits for the camera's other
// models: a fast model then keeps pace with a slow one on the same camera (serving other
// cameras meanwhile) instead of producing results that can never be joined.
//
// Thread-safe: capture threads push, executors take batches. One lock for the whole board;
// it is held for a few pointer moves per frame.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <vector>

#include "percept/io/frame.hpp"

namespace percept {

class FrameBoard {
 public:
  FrameBoard(size_t num_cameras, size_t num_models, bool lossless);

  // Declares which models serve `camera` and how many not-started frames it may hold.
  void configure(size_t camera, std::vector<size_t> models, size_t depth);

  // Queues `f` for every model serving its camera. Live: frames displaced to make room are
  // appended to *displaced (the caller marks them dropped). Returns false once the camera is
  // closed (nothing queued).
  bool push(size_t camera, FrameRef f, std::vector<FrameRef>* displaced);

  // No more frames will come from `camera` (queued ones are still delivered).
  void close(size_t camera);
  // Refuses further pushes and wakes every waiter: teardown.
  void close_all();

  // Takes up to max_batch frames for `model`, fairly across its cameras (one per camera per
  // round, oldest first), waiting up to max_wait after the first for a fuller batch. Blocks
  // until one is ready; returns false when every camera of the model is closed and it has
  // taken everything queued.
  bool take_batch(size_t model, size_t max_batch, std::chrono::microseconds max_wait,
                  std::vector<FrameRef>& out);

 private:
  struct Entry {
    FrameRef frame;
    uint64_t taken = 0;  // bit k: the camera's k-th model took it
  };
  struct Camera {
    std::deque<Entry> queue;  // started entries first, then not-started ones
    std::vector<size_t> models;
    uint64_t all_taken = 0;
    size_t depth = 1;
    bool closed = false;
  };

  size_t take_ready(size_t model, size_t max_batch, std::vector<FrameRef>& out);
  bool drained_for(size_t model) const;
  bool anything_for(size_t model) const;
  static size_t started(const Camera& c);

  mutable std::mutex mu_;
  std::condition_variable changed_;
  std::vector<Camera> cams_;
  std::vector<std::vector<size_t>> model_cameras_;
  std::vector<size_t> next_;  // per model: round-robin start
  bool lossless_;
  bool shut_ = false;
};

}  // namespace percept
