// The latest-frame queues in front of one executor: one bounded FIFO ("slot") per camera the
// model serves. Live mode: a new frame displaces the oldest waiting one when the slot is full
// (the caller counts it as a drop), so the model always sees fresh frames. Lossless mode:
// push() blocks while the slot is full, so back-pressure reaches the source.
// Thread-safe: capture threads push, the executor's thread takes batches.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <vector>

#include "percept/pipeline/frame.hpp"

namespace percept {

class FrameSlots {
 public:
  FrameSlots(size_t num_cameras, size_t depth, bool lossless);

  // Queues `f` for `camera`. Live: a displaced frame is returned in *displaced. Lossless:
  // waits for room. Returns false (and queues nothing) once close_all() was called.
  bool push(size_t camera, FrameRef f, FrameRef* displaced);

  // No more frames will come from `camera`.
  void close(size_t camera);
  // Stops everything at once: pending and future pushes fail, take_batch returns what is left.
  void close_all();

  // Takes up to max_batch frames, fairly across cameras (one per camera per round, oldest
  // first), waiting up to max_wait after the first frame for a fuller batch. Blocks until at
  // least one frame is ready; returns false when every camera is closed and drained.
  bool take_batch(size_t max_batch, std::chrono::microseconds max_wait, std::vector<FrameRef>& out);

  size_t waiting() const;

 private:
  void take_ready(size_t max_batch, std::vector<FrameRef>& out);
  bool all_closed_and_empty() const;

  mutable std::mutex mu_;
  std::condition_variable ready_, room_;
  std::vector<std::deque<FrameRef>> queues_;
  std::vector<bool> closed_;
  size_t depth_;
  bool lossless_;
  bool shut_ = false;
  size_t next_ = 0;  // round-robin start
};

}  // namespace percept
