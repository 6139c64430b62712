#include "percept/pipeline/executor.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "percept/core/clock.hpp"
#include "percept/core/thread_priority.hpp"
#include "percept/core/trace.hpp"

namespace percept {

Executor::Executor(const TaskConfig& config, ExecutorOptions opt, FrameBoard& board, DoneFn on_done)
    : opt_(std::move(opt)),
      board_(board),
      on_done_(std::move(on_done)),
      live_(opt_.live ? *opt_.live : throw Error("executor '" + opt_.id + "': no live counters")) {
  opened_.push_back(open_task(config, opt_.wrap_backend));
  variant_paths_.push_back(config.model_path);
  task_ = opened_.front().task.get();
  for (const std::string& path : opt_.variants) {
    TaskConfig vc = config;
    vc.model_path = path;
    OpenedTask v;
    try {
      v = open_task(vc, opt_.wrap_backend);
    } catch (const std::exception& e) {
      // A variant that does not open is not worth stopping the run for: the controller works
      // with the ones that did and the model itself.
      spdlog::warn("model '{}': variant '{}' not used: {}", opt_.id, path, e.what());
      variant_errors_.push_back(path + ": " + e.what());
      continue;
    }
    // Switching must not change what the outputs mean: the same task and the same labels.
    if (v->name() != task_->name() || v->labels() != task_->labels())
      throw Error(ErrorCode::invalid_argument,
                  "model '" + opt_.id + "': variant '" + path + "' is a " + v->name() +
                      " model with " + std::to_string(v->labels().size()) +
                      " labels; the model is a " + task_->name() + " model with " +
                      std::to_string(task_->labels().size()) +
                      ": variants must have the model's task and labels");
    opened_.push_back(std::move(v));
    variant_paths_.push_back(path);
  }
  max_wait_us_.store(opt_.max_wait.count(), std::memory_order_relaxed);
  frame_ns_ = std::make_unique<std::atomic<int64_t>[]>(opened_.size());  // all 0
  batches_run_.assign(opened_.size(), 0);
  if (!task_->dynamic_batch() && opt_.max_batch > 1) {
    spdlog::info(
        "model '{}': batch dimension is fixed, running frame by frame (max_batch {} "
        "ignored)",
        opt_.id, opt_.max_batch);
    opt_.max_batch = 1;
  }
  if (opt_.max_batch == 0) opt_.max_batch = 1;
  if (live_.batch_sizes.size() < opt_.max_batch + 1)
    throw Error("executor '" + opt_.id + "': live counters sized for a smaller batch");
  live_.max_batch.store(opt_.max_batch, std::memory_order_relaxed);
  live_.batch_limit = opt_.max_batch;
  batch_.reserve(opt_.max_batch);
  views_.reserve(opt_.max_batch);
  results_.resize(opt_.max_batch);
}

Executor::~Executor() {
  join();
}

void Executor::start() {
  thread_ = std::thread([this] {
    name_this_thread("exec:" + opt_.id);
    loop();
  });
}

void Executor::join() {
  if (thread_.joinable()) thread_.join();
}

void Executor::switch_variant() {
  const size_t want = std::min(want_variant_.load(std::memory_order_relaxed), opened_.size() - 1);
  if (want == active_) return;
  spdlog::info("model '{}': now running '{}' (was '{}')", opt_.id, variant_paths_[want],
               variant_paths_[active_]);
  active_ = want;
  task_ = opened_[want].task.get();
}

void Executor::loop() {
  for (;;) {
    switch_variant();
    if (!board_.take_batch(opt_.model_index, batch_limit(), max_wait(), batch_)) break;
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
        live_.dropped_late.fetch_add(1, std::memory_order_relaxed);
        on_done_(f, opt_.model_index);
        continue;
      }
      live_.queue.record(now - f->capture_ns);
      batch_[kept++] = std::move(f);
    }
    batch_.resize(kept);
    if (!batch_.empty()) {
      try {
        run_frames(batch_);
      } catch (const std::exception& e) {
        // Backstop (run_batch handles the task's own exceptions): whatever throws here fails
        // the frames of this batch that had no result yet; the executor goes on, so the frames
        // still reach the sequencer and shutdown cannot hang on them.
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
    live_.failed.fetch_add(1, std::memory_order_relaxed);
    on_done_(f, opt_.model_index);
  }
}

void Executor::run_frames(std::span<FrameRef> frames) {
  // Out of memory on a batch of m frames: max_batch drops to ceil(m / 2) for the rest of the run
  // (the memory a batch needs does not shrink by itself) and the same frames are tried again in
  // chunks of the new size. Each failure lowers max_batch, and a single frame is never retried
  // (run_batch fails it), so this ends.
  std::string oom;
  for (size_t i = 0; i < frames.size();) {
    const size_t m = std::min(batch_limit(), frames.size() - i);
    if (run_batch(frames.subspan(i, m), oom) != Outcome::out_of_memory) {
      i += m;
      continue;
    }
    const size_t smaller = (m + 1) / 2;
    spdlog::warn(
        "model '{}': out of memory with a batch of {} ({}); max_batch {} -> {} from now on, "
        "retrying these frames",
        opt_.id, m, oom, opt_.max_batch, smaller);
    opt_.max_batch = smaller;
    live_.max_batch.store(smaller, std::memory_order_relaxed);
    live_.oom_degrades.fetch_add(1, std::memory_order_relaxed);
  }
}

void Executor::publish_buffer_stats() {
  LiveModel* live = &live_;
  const std::optional<gpu::PoolStats> s = task_->backend().buffer_stats();
  if (!s) return;
  live->buffer_bytes_in_use.store(s->bytes_in_use, std::memory_order_relaxed);
  live->buffer_bytes_requested.store(s->bytes_requested, std::memory_order_relaxed);
  live->buffer_peak_bytes.store(s->peak_bytes_in_use, std::memory_order_relaxed);
  live->buffer_bytes_cached.store(s->bytes_cached, std::memory_order_relaxed);
  live->buffer_cache_hits.store(s->cache_hits, std::memory_order_relaxed);
  live->buffer_cache_misses.store(s->cache_misses, std::memory_order_relaxed);
  live->has_buffers.store(true, std::memory_order_release);
}

void Executor::fail_frames(std::span<FrameRef> frames, const std::string& message) {
  for (FrameRef& f : frames) {
    ModelResult& r = f->results[opt_.model_index];
    r.state = ModelResult::State::failed;
    r.error = message;
    live_.failed.fetch_add(1, std::memory_order_relaxed);
    on_done_(f, opt_.model_index);
  }
}

Executor::Outcome Executor::run_batch(std::span<FrameRef> batch, std::string& oom) {
  const size_t n = batch.size();
  views_.clear();
  for (FrameRef& f : batch) views_.push_back(f->image.view());
  StageTimes t;
  const int64_t t0 = now_ns();
  Status st;
  try {
    // Nsight Systems shows each batch of the model's thread, its stages nested inside.
    const StageTrace trace("batch");
    st = task_->run(views_, std::span<ModelOutput>(results_.data(), n), &t);
  } catch (const std::exception& e) {
    // A task or backend that throws (std::bad_alloc under memory pressure, a custom backend)
    // is treated like an error value, so that only these frames fail and an allocation
    // failure gets the same smaller-batch retry.
    st = Error(error_code_of(e), std::string("batch failed: ") + e.what());
  }
  publish_buffer_stats();
  if (!st && n > 1 && st.error().code() == ErrorCode::out_of_memory) {
    oom = st.error().message();
    return Outcome::out_of_memory;  // not counted as a batch: its frames run again
  }
  live_.batches.fetch_add(1, std::memory_order_relaxed);
  live_.batch_sizes[n].fetch_add(1, std::memory_order_relaxed);
  if (!st) {
    // One failed batch marks its frames failed; the pipeline goes on with the next one. Out of
    // memory on a single frame ends here too: there is no smaller batch to fall back to.
    spdlog::warn("model '{}': {}", opt_.id, st.error().message());
    fail_frames(batch, st.error().message());
    return Outcome::failed;
  }
  live_.preprocess.record(t.preprocess_ns);
  live_.inference.record(t.inference_ns);
  live_.postprocess.record(t.postprocess_ns);
  live_.frames.fetch_add(n, std::memory_order_relaxed);
  {
    const int64_t busy = t.preprocess_ns + t.inference_ns + t.postprocess_ns;
    live_.busy_ns.fetch_add(static_cast<uint64_t>(busy), std::memory_order_relaxed);
    // A moving average (1/4 weight on the newest batch): the controller's cost of a frame.
    std::atomic<int64_t>& avg = frame_ns_[active_];
    const int64_t per_frame = busy / static_cast<int64_t>(n);
    last_frame_ns_.store(per_frame, std::memory_order_relaxed);
    // A variant's first batch pays for its first run (allocations, kernel choices): not a cost
    // to predict with.
    if (batches_run_[active_]++ > 0) {
      const int64_t old = avg.load(std::memory_order_relaxed);
      avg.store(old == 0 ? per_frame : old + (per_frame - old) / 4, std::memory_order_relaxed);
    }
  }
  for (size_t i = 0; i < n; ++i) {
    ModelResult& r = batch[i]->results[opt_.model_index];
    std::swap(r.output, results_[i]);  // buffers circulate between frames: no allocation
    r.preprocess_end_ns = t0 + t.preprocess_ns;
    r.inference_end_ns = r.preprocess_end_ns + t.inference_ns;
    r.postprocess_end_ns = r.inference_end_ns + t.postprocess_ns;
    r.batch_size = static_cast<int>(n);
    r.state = ModelResult::State::done;
    on_done_(batch[i], opt_.model_index);
  }
  return Outcome::done;
}

}  // namespace percept
