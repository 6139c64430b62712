// The counters of a running pipeline, written on the frame path and read once per interval by
// the telemetry thread without stopping the writers for long: histograms are double-buffered
// (record() takes an uncontended lock for ~20 ns; the reader swaps a pointer under it),
// counters are relaxed atomics. They are the only counters of a run (STYLE 16): the
// TelemetryCollector turns them into TelemetrySnapshots (interval figures + totals since
// start) and, after the last snapshot, into the RunSummary (run_summary.hpp).
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "percept/telemetry/run_summary.hpp"
#include "percept/telemetry/snapshot.hpp"
#include "percept/telemetry/system_sampler.hpp"

namespace percept {

class LiveHistogram {
 public:
  LiveHistogram() : cur_(std::make_unique<Histogram>()) {}
  // Any one writer thread at a time (frame path). Never allocates.
  void record(int64_t ns) {
    std::lock_guard lock(mu_);
    cur_->record(ns);
  }
  // Telemetry thread: hands over the samples since the last take() and keeps `spare` (reset
  // first, outside the lock) as the new buffer.
  void take(std::unique_ptr<Histogram>& spare) {
    spare->reset();
    std::lock_guard lock(mu_);
    std::swap(cur_, spare);
  }

 private:
  std::mutex mu_;
  std::unique_ptr<Histogram> cur_;
};

// What a camera's source is doing, as CameraTelemetry::source names it.
enum class SourceState : int { ok = 0, reconnecting = 1, lost = 2 };

// CameraSummary says what each counter means; `drops` is its `unprocessed`.
struct LiveCamera {
  LiveHistogram end_to_end;
  LiveHistogram imgproc;  // rectify + blur, capture thread (in the summary only)
  std::atomic<uint64_t> completed{0}, drops{0}, deadline_misses{0};
  std::atomic<uint64_t> read_errors{0}, reconnects{0};
  std::atomic<uint64_t> captured{0}, slot_drops{0}, partial{0}, late_dropped{0}, published{0};
  std::atomic<uint64_t> skipped{0};  // left out by the deadline controller (capture thread)
  // The deadline controller's own copy of end_to_end (taken on its thread, not the
  // telemetry's); recorded only while `watched` (control enabled).
  LiveHistogram control_e2e;
  bool watched = false;  // set before any thread starts
  std::atomic<bool> gave_up{false};
  std::atomic<int> source{static_cast<int>(SourceState::ok)};
};

struct LiveModel {
  explicit LiveModel(size_t batch) : max_batch(batch), batch_sizes(batch + 1) {}
  LiveHistogram queue, preprocess, inference, postprocess;
  std::atomic<uint64_t> frames{0}, failed{0}, batches{0}, oom_degrades{0}, dropped_late{0};
  // Wall time of the model's successful batches (preprocess + inference + postprocess), for the
  // deadline controller's busy share (docs/CONTROL.md).
  std::atomic<uint64_t> busy_ns{0};
  // The model's trackers (all its cameras): ids handed out, boxes refused, boxes over the cap.
  std::atomic<bool> tracked{false};
  std::atomic<uint64_t> tracks{0}, track_invalid{0}, track_capped{0};
  std::atomic<size_t> max_batch;  // the executor's, after fixed-batch capping and OOM halving
  // The executor's max_batch when it started (a fixed-batch model: 1): the summary's
  // batch_sizes run 0..batch_limit. Set by the executor before any thread starts.
  size_t batch_limit = 0;
  std::vector<std::atomic<uint64_t>> batch_sizes;  // [n]: batches of n frames
  // The backend's kept output buffers (BufferPoolTelemetry), copied by the executor after each
  // batch; has_buffers stays false for a backend that keeps none.
  std::atomic<bool> has_buffers{false};
  std::atomic<uint64_t> buffer_bytes_in_use{0}, buffer_bytes_requested{0}, buffer_peak_bytes{0},
      buffer_bytes_cached{0}, buffer_cache_hits{0}, buffer_cache_misses{0};
};

// The deadline controller's state and actions, written by its thread (pipeline/controller.cpp)
// and taken by the telemetry thread: a mutex, as both sides run a few times a second.
class LiveControl {
 public:
  // Controller: its state now, and the action it just took (or none).
  void publish(const ControlTelemetry& state, const ControlAction* action);
  // Telemetry: the state and the actions since the last take().
  ControlTelemetry take();
  // Summary: the state and every action of the run (the first kMaxKept).
  ControlTelemetry run() const;
  static constexpr size_t kMaxKept = 1000;

 private:
  mutable std::mutex mu_;
  ControlTelemetry state_;
  std::vector<ControlAction> pending_, all_;
};

// A sink's frames written, dropped (queue full, live mode) and failed writes.
struct LiveSink {
  std::atomic<uint64_t> written{0}, dropped{0}, errors{0};
};

class TelemetryCollector {
 public:
  struct CameraInfo {
    std::string id;
    std::optional<double> deadline_ms;
  };
  struct ModelInfo {
    std::string id;
    size_t max_batch = 1;
  };
  // `gpu_library`: the NVML library to try (tests pass a missing name or a fake one).
  TelemetryCollector(std::vector<CameraInfo> cameras, std::vector<ModelInfo> models,
                     const std::string& gpu_library = "libnvidia-ml.so.1");

  LiveCamera& camera(size_t i) { return *cameras_[i].live; }
  LiveModel& model(size_t i) { return *models_[i].live; }
  // Registers a sink; only before the telemetry thread starts collecting.
  LiveSink& add_sink(std::string name);
  // The deadline controller, when the config turns it on; before collecting starts.
  LiveControl& enable_control();
  const LiveControl* control() const { return control_.get(); }

  // Telemetry thread only: the interval since the previous collect() (or construction).
  TelemetrySnapshot collect();
  // The run's totals: call after the last collect(), once the writers have stopped. Sinks are
  // reported in registration order; mode, outputs and the frame pool are the caller's.
  RunSummary summary(double wall_s) const;

 private:
  struct Totals {
    uint64_t count = 0;
    double sum_ms = 0;
  };
  // Each interval's histogram samples are merged into the run's (run_*), for the summary.
  struct Cam {
    CameraInfo info;
    std::unique_ptr<LiveCamera> live;
    uint64_t completed = 0, drops = 0, misses = 0, read_errors = 0, reconnects = 0, skipped = 0;
    Totals e2e;
    std::unique_ptr<Histogram> run_e2e = std::make_unique<Histogram>();
    std::unique_ptr<Histogram> run_imgproc = std::make_unique<Histogram>();
  };
  struct Mod {
    ModelInfo info;
    std::unique_ptr<LiveModel> live;
    uint64_t frames = 0, failed = 0, batches = 0, oom_degrades = 0;
    uint64_t tracks = 0, track_invalid = 0, track_capped = 0;
    Totals stages[4];
    std::unique_ptr<Histogram> run_stages[4] = {
        std::make_unique<Histogram>(), std::make_unique<Histogram>(), std::make_unique<Histogram>(),
        std::make_unique<Histogram>()};
  };
  struct Snk {
    std::string name;
    std::unique_ptr<LiveSink> live;
    uint64_t written = 0, dropped = 0, errors = 0;
  };
  LatencyStats stats(LiveHistogram& h, Totals& t, Histogram& run, Histogram* merge_into = nullptr);

  std::vector<Cam> cameras_;
  std::vector<Mod> models_;
  std::vector<Snk> sinks_;
  std::unique_ptr<LiveControl> control_;
  std::unique_ptr<Histogram> spare_ = std::make_unique<Histogram>();
  Totals all_;
  int64_t last_ns_;
  ProcessSampler process_;
  GpuSampler gpu_;
};

}  // namespace percept
