// One executor per model: a thread that takes batches of frames from the frame board
// (dynamic batching across the cameras it serves: FrameBoard::take_batch), runs the task's
// skeleton (pre-processing, inference, post-processing: Task::run, which times each stage),
// stores the results in the frames and hands each frame back through `on_done`.
//
// It owns what the model runs on: the CUDA stream (GPU devices in CUDA builds), the backend
// created on that stream, and the task that borrows both (open_task), plus the result buffers.
// It counts into the model's LiveModel (ExecutorOptions::live), the run's one set of counters.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "percept/gpu/compute_stream.hpp"
#include "percept/infer/backend.hpp"
#include "percept/pipeline/frame_board.hpp"
#include "percept/tasks/task.hpp"
#include "percept/telemetry/live.hpp"

namespace percept {

struct ExecutorOptions {
  std::string id;          // model id, for logs
  size_t model_index = 0;  // index into Frame::results and the board's models
  size_t max_batch = 1;    // capped at 1 when the model's batch dimension is fixed
  std::chrono::microseconds max_wait{0};
  // Per camera (pipeline index): frames older than this at dequeue are dropped unseen
  // (0 = never). Set from a camera's deadline when it drops late results.
  std::vector<int64_t> drop_older_than_ns;
  // The model's counters and histograms (telemetry/live.hpp): the executor's only statistics,
  // read by the telemetry and the run summary. Required; must outlive the executor.
  LiveModel* live = nullptr;
  // Wraps the backend before the task opens on it (fault-injection tests), or empty.
  BackendWrapper wrap_backend;
  // Lighter models the deadline controller may switch to (`variants:`), opened at start. One
  // that fails to open is left out (variant_errors says why); one with another task or other
  // labels than the model is refused (percept::Error).
  std::vector<std::string> variants;
};

class Executor {
 public:
  // on_done(frame, model_index) is called once per frame taken, from the executor thread,
  // after the frame's result (done, dropped or failed) is stored.
  using DoneFn = std::function<void(FrameRef&, size_t)>;
  // Opens the model (stream, backend, task; throws percept::Error naming the file; throws
  // too when opt.live is null). `board` must outlive the executor and be closed (close_all)
  // before it is destroyed.
  Executor(const TaskConfig& config, ExecutorOptions opt, FrameBoard& board, DoneFn on_done);
  ~Executor();

  // The model as configured (variant 0): what the outputs' labels and contents come from.
  const Task& task() const { return *opened_.front().task; }
  const ExecutorOptions& options() const { return opt_; }
  const LiveModel& live() const { return live_; }

  // The deadline controller's levers (pipeline/controller.cpp), from any thread; each takes
  // effect at the executor's next batch.
  size_t variant_count() const { return opened_.size(); }  // the model and the loaded variants
  const std::string& variant_path(size_t i) const { return variant_paths_[i]; }
  const std::vector<std::string>& variant_errors() const { return variant_errors_; }
  void use_variant(size_t i) { want_variant_.store(i, std::memory_order_relaxed); }
  size_t variant() const { return want_variant_.load(std::memory_order_relaxed); }
  // What a frame costs variant i (its batches' wall time per frame, a moving average over the
  // last few batches, nanoseconds); 0 until it has run.
  int64_t frame_ns(size_t i) const { return frame_ns_[i].load(std::memory_order_relaxed); }
  // The same for the last batch of the variant running now (0 before any).
  int64_t last_frame_ns() const { return last_frame_ns_.load(std::memory_order_relaxed); }
  void set_max_wait(std::chrono::microseconds w) {
    max_wait_us_.store(w.count(), std::memory_order_relaxed);
  }
  std::chrono::microseconds max_wait() const {
    return std::chrono::microseconds(max_wait_us_.load(std::memory_order_relaxed));
  }
  void start();
  void join();  // returns once every camera of the model is closed and drained

 private:
  void loop();
  // Runs `frames` (a part of batch_), splitting it in halves while the task runs out of memory.
  void run_frames(std::span<FrameRef> frames);
  enum class Outcome { done, failed, out_of_memory };
  // One attempt at `frames` as one batch. On out_of_memory (only when frames.size() > 1) the
  // frames are left pending and `oom` says what failed; otherwise each frame has its result.
  Outcome run_batch(std::span<FrameRef> frames, std::string& oom);
  void fail_frames(std::span<FrameRef> frames, const std::string& message);
  // Copies the backend's output-buffer pool statistics into the live counters (one mutex
  // lock and six stores per batch).
  void publish_buffer_stats();
  void fail_pending(const char* what);  // frames of batch_ without a result: failed

  // Switches to the variant the controller asked for, between batches (executor thread).
  void switch_variant();
  // The largest batch the running variant takes: max_batch, or 1 for a fixed batch dimension.
  size_t batch_limit() const { return task_->dynamic_batch() ? opt_.max_batch : 1; }

  // [0] the model, then the variants that opened; each destroys its task before its backend,
  // its backend before its stream. task_ is the one running (executor thread).
  std::vector<OpenedTask> opened_;
  std::vector<std::string> variant_paths_, variant_errors_;
  Task* task_ = nullptr;
  size_t active_ = 0;
  std::atomic<size_t> want_variant_{0};
  std::unique_ptr<std::atomic<int64_t>[]> frame_ns_;  // per variant, see frame_ns()
  std::atomic<int64_t> last_frame_ns_{0};
  std::vector<uint64_t> batches_run_;  // per variant (executor thread)
  std::atomic<int64_t> max_wait_us_{0};
  ExecutorOptions opt_;
  FrameBoard& board_;
  DoneFn on_done_;
  LiveModel& live_;  // *opt_.live
  std::thread thread_;
  std::vector<FrameRef> batch_;
  std::vector<ImageView> views_;
  std::vector<ModelOutput> results_;
};

}  // namespace percept
