#include "percept/pipeline/executor.hpp"

#include <spdlog/spdlog.h>

#include "percept/core/clock.hpp"
#include "percept/core/trace.hpp"

namespace percept {

Executor::Executor(std::unique_ptr<Task> task, ExecutorOptions opt, FrameBoard& board,
                   DoneFn on_done)
    : task_(std::move(task)), opt_(std::move(opt)), board_(board), on_done_(std::move(on_done)) {
  if (!task_->dynamic_batch() && opt_.max_batch > 1) {
    spdlog::info(
        "model '{}': batch dimension is fixed, running frame by frame (max_batch {} "
        "ignored)",
        opt_.id, opt_.max_batch);
    opt_.max_batch = 1;
  }
  if (opt_.max_batch == 0) opt_.max_batch = 1;
  stats_.batch_sizes.assign(opt_.max_batch + 1, 0);
  batch_.reserve(opt_.max_batch);
  views_.reserve(opt_.max_batch);
  results_.resize(opt_.max_batch);
}

Executor::~Executor() {
  join();
}

void Executor::start() {
  thread_ = std::thread([this] { loop(); });
}

void Executor::join() {
  if (thread_.joinable()) thread_.join();
}

void Executor::loop() {
  while (board_.take_batch(opt_.model_index, opt_.max_batch, opt_.max_wait, batch_)) {
    const int64_t now = now_ns();
    // Frames already too old for their camera's deadline are not worth inferring.
    size_t kept = 0;
    for (FrameRef& f : batch_) {
      ModelResult& r = f->results[opt_.model_index];
      r.dequeue_ns = now;
      const int64_t limit =
          opt_.drop_older_than_ns.empty() ? 0 : opt_.drop_older_than_ns[f->camera];
      if (limit > 0 && now - f->capture_ns > limit) {
        r.state = ModelResult::State::dropped;
        ++stats_.dropped_late;
        on_done_(f, opt_.model_index);
        continue;
      }
      stats_.queue_ns.record(now - f->capture_ns);
      if (opt_.live) opt_.live->queue.record(now - f->capture_ns);
      batch_[kept++] = std::move(f);
    }
    batch_.resize(kept);
    if (!batch_.empty()) {
      try {
        run_batch(batch_);
      } catch (const std::exception& e) {
        // An exception from a task (std::bad_alloc under memory pressure, a throwing custom
        // backend) fails the frames of this batch that had no result yet; the executor goes on,
        // so the frames still reach the sequencer and shutdown cannot hang on them.
        fail_pending(e.what());
      }
    }
    batch_.clear();
  }
}

void Executor::fail_pending(const char* what) {
  spdlog::warn("model '{}': batch failed: {}", opt_.id, what);
  for (FrameRef& f : batch_) {
    ModelResult& r = f->results[opt_.model_index];
    if (r.state != ModelResult::State::pending) continue;
    r.state = ModelResult::State::failed;
    r.error = std::string("model '") + opt_.id + "': " + what;
    ++stats_.failed;
    if (opt_.live) opt_.live->failed.fetch_add(1, std::memory_order_relaxed);
    on_done_(f, opt_.model_index);
  }
}

void Executor::run_batch(std::vector<FrameRef>& batch) {
  const size_t n = batch.size();
  views_.clear();
  for (FrameRef& f : batch) views_.push_back(f->image.view());
  StageTimes t;
  const int64_t t0 = now_ns();
  Status st;
  {
    // Nsight Systems shows each batch of the model's thread, its stages nested inside.
    const StageTrace trace("batch");
    st = task_->run(views_, std::span<TaskOutput>(results_.data(), n), &t);
  }
  ++stats_.batches;
  stats_.batch_sizes[n]++;
  LiveModel* live = opt_.live;
  if (live) {
    live->batches.fetch_add(1, std::memory_order_relaxed);
    live->batch_sizes[n].fetch_add(1, std::memory_order_relaxed);
  }
  if (!st) {
    // One failed batch marks its frames failed; the pipeline goes on with the next one.
    spdlog::warn("model '{}': {}", opt_.id, st.error().message());
    for (FrameRef& f : batch) {
      ModelResult& r = f->results[opt_.model_index];
      r.state = ModelResult::State::failed;
      r.error = st.error().message();
      ++stats_.failed;
      if (live) live->failed.fetch_add(1, std::memory_order_relaxed);
      on_done_(f, opt_.model_index);
    }
    return;
  }
  stats_.preprocess_ns.record(t.preprocess_ns);
  stats_.inference_ns.record(t.inference_ns);
  stats_.postprocess_ns.record(t.postprocess_ns);
  if (live) {
    live->preprocess.record(t.preprocess_ns);
    live->inference.record(t.inference_ns);
    live->postprocess.record(t.postprocess_ns);
    live->frames.fetch_add(n, std::memory_order_relaxed);
  }
  for (size_t i = 0; i < n; ++i) {
    ModelResult& r = batch[i]->results[opt_.model_index];
    std::swap(r.output, results_[i]);  // buffers circulate between frames: no allocation
    r.preprocess_end_ns = t0 + t.preprocess_ns;
    r.inference_end_ns = r.preprocess_end_ns + t.inference_ns;
    r.postprocess_end_ns = r.inference_end_ns + t.postprocess_ns;
    r.batch_size = static_cast<int>(n);
    r.state = ModelResult::State::done;
    ++stats_.frames;
    on_done_(batch[i], opt_.model_index);
  }
}

}  // namespace percept
