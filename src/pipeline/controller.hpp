// The deadline controller (docs/CONTROL.md): a thread of the pipeline that looks at the cameras
// with a deadline every control.interval_s and moves one step along a ladder of settings built at
// start, cheapest first:
//   1. a model's batch wait (max_wait_us) to 0: no frame waits for a fuller batch;
//   2. skipped frames of the lower-priority cameras (1 in 2, 1 in 4, ... up to max_skip), the
//      lowest priority first;
//   3. each model's lighter variants, in the order the config lists them.
// It steps down when a camera misses (ControlPolicy) and back up, one step at a time, after
// enough headroom. Every action is logged, counted in LiveControl (telemetry JSONL, /metrics,
// the dashboard, the report) and kept for the run summary.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "camera_state.hpp"
#include "percept/pipeline/control.hpp"
#include "percept/pipeline/executor.hpp"
#include "percept/telemetry/histogram.hpp"
#include "percept/telemetry/live.hpp"

namespace percept {

class Controller {
 public:
  // The cameras and executors must outlive the controller. Cameras without a deadline are not
  // judged (but may be skipped, by priority).
  Controller(const ControlConfig& config, std::vector<CameraState>& cameras,
             const std::vector<std::unique_ptr<Executor>>& executors,
             const std::vector<std::string>& model_ids, LiveControl& live);
  ~Controller();

  int steps() const { return static_cast<int>(ladder_.size()); }
  void start();
  void stop();  // joins; idempotent

 private:
  struct Step {
    enum class Kind { max_wait, skip, variant } kind;
    size_t target;          // model index (max_wait, variant) or camera index (skip)
    int64_t before, after;  // microseconds, stride, or variant index
    // A variant step's evidence for its restore: what a frame of the heavier variant cost when
    // the step was taken, and what one of the lighter cost once it had settled.
    int64_t heavy_ns = 0, light_ref_ns = 0;
    double taken_s = 0;
  };
  // One interval's figures per judged camera: results, late frames, end-to-end latencies.
  struct Slot {
    double start = 0, t = -1;  // the interval it covers (seconds since the controller started)
    std::vector<uint64_t> results, late;
    std::vector<std::unique_ptr<Histogram>> e2e;
    std::vector<uint64_t> busy_ns, frames;  // per model
    std::vector<uint64_t> offered;          // per camera (all): frames read, skipped included
  };
  // The window's sums of the per-model and per-camera figures, for restore_fits.
  struct Load {
    double seconds = 0;
    std::vector<uint64_t> busy_ns, frames, offered;
  };

  void build_ladder(const std::vector<std::string>& model_ids);
  void loop();
  void tick(double now_s);
  ControlWindow window(double now_s);
  // Whether undoing ladder_[level - 1] is predicted to fit (max_busy, the deadline); sets
  // w.restore_fits and w.restore_blocked.
  void predict_restore(ControlWindow& w) const;
  void note_evidence(double now_s);  // a variant step's light_ref_ns, once settled
  void apply(const Step& s, bool down);
  // Applies `s` (down, or back up), logs it and hands the action to LiveControl.
  void act(Step& s, bool down, double now_s, const std::string& reason);
  // Why step `s`, just taken, cannot help the camera that missed in `w` (empty: it may).
  std::string cannot_help(const Step& s, const ControlWindow& w) const;
  std::string describe(const Step& s, int64_t value) const;
  std::string target_name(const Step& s) const;
  std::string variant_file(size_t model, size_t variant) const;  // the file name, for words

  ControlConfig cfg_;
  std::vector<CameraState>& cams_;
  const std::vector<std::unique_ptr<Executor>>& execs_;
  std::vector<std::string> model_ids_;
  LiveControl& live_;
  ControlPolicy policy_{cfg_, 0};
  std::vector<Step> ladder_;
  std::vector<size_t> judged_;  // camera indices with a deadline
  // Counters already seen, per judged camera: completed, drops, deadline misses.
  std::vector<uint64_t> seen_completed_, seen_drops_, seen_misses_;
  std::vector<uint64_t> seen_busy_, seen_frames_, seen_offered_;  // per model, per camera
  Load load_;                                                     // the last window's
  std::vector<Slot> ring_;  // the last ring_.size() intervals, oldest overwritten
  size_t next_slot_ = 0;
  double last_tick_ = 0;
  std::unique_ptr<Histogram> spare_ = std::make_unique<Histogram>();
  Histogram merged_;
  ControlTelemetry state_;
  bool reported_limit_ = false;

  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace percept
