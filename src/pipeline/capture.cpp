#include "capture.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <thread>

#include "percept/core/clock.hpp"

namespace percept {

namespace {

int64_t wall_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// A live camera that ended or keeps failing is reopened with exponential backoff (bounded);
// files and synthetic scenes simply end. Returns false when the camera is given up.
bool reconnect(CameraState& c, const CaptureContext& ctx) {
  const SourceKind kind = c.config->source.kind;
  // A ros2 source ends only on its timeout_s; DDS itself rediscovers a returning publisher.
  if (is_file_source(kind) || kind == SourceKind::synthetic || kind == SourceKind::ros2)
    return false;
  const ReconnectConfig rc = c.config->reconnect.value_or(
      ReconnectConfig{ctx.options.reconnect_attempts, ctx.options.reconnect_backoff_ms,
                      ctx.options.reconnect_backoff_max_ms});
  c.set_source_state(SourceState::reconnecting);
  while (c.reconnect_streak < rc.attempts) {
    const double wait_ms =
        std::min(rc.backoff_ms * std::pow(2.0, c.reconnect_streak), rc.backoff_max_ms);
    ++c.reconnect_streak;
    spdlog::warn("camera '{}': source lost, reconnecting in {:.0f} ms (attempt {}/{})",
                 c.config->id, wait_ms, c.reconnect_streak, rc.attempts);
    // Sleep in short steps so that a stop request is not held up by the backoff.
    const auto until = std::chrono::steady_clock::now() +
                       std::chrono::microseconds(static_cast<int64_t>(wait_ms * 1e3));
    while (std::chrono::steady_clock::now() < until) {
      if (ctx.stop_requested()) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    try {
      c.source = ctx.open_source(c.config->source);
      c.live->reconnects.fetch_add(1, std::memory_order_relaxed);
      c.set_source_state(SourceState::ok);
      spdlog::info("camera '{}': reconnected", c.config->id);
      return true;
    } catch (const std::exception& e) {
      spdlog::warn("camera '{}': reconnect failed: {}", c.config->id, e.what());
    }
  }
  spdlog::error("camera '{}': source lost, giving up after {} reconnect attempts", c.config->id,
                rc.attempts);
  c.live->gave_up.store(true, std::memory_order_relaxed);
  c.set_source_state(SourceState::lost);
  return false;
}

}  // namespace

void run_capture(CameraState& c, const CaptureContext& ctx) {
  using namespace std::chrono;
  const double fps = c.source->fps();
  const auto period =
      c.paced && fps > 0 ? nanoseconds(static_cast<int64_t>(1e9 / fps)) : nanoseconds(0);
  auto next = steady_clock::now();
  int64_t index = 0;
  int consecutive_errors = 0;
  // This thread's own tallies (read back from the counters it alone writes).
  uint64_t captured = 0, read_errors = 0, skipped = 0;
  std::vector<FrameRef> displaced;
  while (!ctx.stop_requested()) {
    if (ctx.options.max_frames >= 0 &&
        static_cast<int64_t>(captured + read_errors + skipped) >= ctx.options.max_frames)
      break;
    if (period.count() > 0) {  // a live camera delivers frames at its own rate
      std::this_thread::sleep_until(next);
      next += period;
      if (steady_clock::now() > next + period) next = steady_clock::now();  // no bursts
    }
    FrameRef f = ctx.pool.acquire();
    auto got = c.source->read(f->image);
    if (!got) {
      ++read_errors;
      c.live->read_errors.fetch_add(1, std::memory_order_relaxed);
      if (read_errors <= 5) spdlog::warn("camera '{}': {}", c.config->id, got.error().message());
      if (++consecutive_errors >= 100) {
        spdlog::error("camera '{}': 100 failed reads in a row", c.config->id);
        if (!reconnect(c, ctx)) break;
        consecutive_errors = 0;
      }
      continue;
    }
    if (!*got) {  // end of stream; a live camera that ends has been lost
      if (reconnect(c, ctx)) continue;
      break;
    }
    consecutive_errors = 0;
    c.reconnect_streak = 0;
    // The controller's skip for a lower-priority camera: counted, never captured. The frame
    // keeps its index, so that a skipped frame leaves a gap in the outputs' frame numbers.
    const int64_t frame_index = index++;
    if (const int stride = c.skip_stride.load(std::memory_order_relaxed);
        stride > 1 && frame_index % stride != 0) {
      ++skipped;
      c.live->skipped.fetch_add(1, std::memory_order_relaxed);
      continue;
    }
    f->camera = static_cast<int>(c.index);
    f->index = frame_index;
    f->capture_ns = now_ns();
    const int64_t stamp = c.source->capture_wall_ns();  // a ROS 2 header stamp, or 0
    f->capture_wall_ns = stamp > 0 ? stamp : wall_ns();
    if (c.prep) {
      // Inside the end-to-end latency: the models see the rectified frame. A size mismatch
      // holds for every frame of the camera, so it stops the camera (the thread's catch
      // logs "camera 'id' stopped: ..." with the sizes).
      const int64_t t0 = now_ns();
      if (Status s = c.prep->apply(f->image); !s.ok()) throw s.error();
      c.live->imgproc.record(now_ns() - t0);
    }
    ++captured;
    c.live->captured.fetch_add(1, std::memory_order_relaxed);
    f->pending.store(static_cast<int>(c.models.size()));
    ctx.sequencer.track(c, f);  // before any model may finish it
    if (c.models.empty()) {
      ctx.sequencer.complete(f);
      continue;
    }
    displaced.clear();
    const bool queued = ctx.board.push(c.index, f, &displaced);
    for (FrameRef& d : displaced) {  // live mode: dropped for every model of the camera
      c.live->slot_drops.fetch_add(1, std::memory_order_relaxed);
      ctx.sequencer.drop_for_all(c, d);
    }
    if (!queued) ctx.sequencer.drop_for_all(c, f);
  }
  ctx.board.close(c.index);
}

}  // namespace percept
