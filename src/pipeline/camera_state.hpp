// One camera's state in a run, shared by its capture thread (capture.cpp), the sequencer that
// releases its frames in capture order (sequencer.cpp) and the runtime that owns both
// (runtime.cpp). Which thread touches what is said per member.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "percept/imgproc/frame_prep.hpp"
#include "percept/io/frame.hpp"
#include "percept/io/source.hpp"
#include "percept/pipeline/config.hpp"
#include "percept/telemetry/live.hpp"
#include "percept/track/byte_tracker.hpp"

namespace percept {

struct CameraState {
  const CameraConfig* config = nullptr;
  size_t index = 0;
  std::unique_ptr<Source> source;  // capture thread (opened by the runtime first)
  std::vector<size_t> models;      // serving this camera
  bool paced = false;
  int64_t deadline_ns = 0;
  std::thread thread;
  // Sequencer: frames in capture order; the head leaves once every model is done with it.
  std::mutex mu;
  std::deque<FrameRef> order;
  int depth_model = -1;             // first depth model serving the camera, for distances
  std::vector<float> fuse_scratch;  // under mu
  // Tracking and 3D, under mu in capture order (sequencer.cpp). trackers[k] serves models[k]
  // (null: that model has no `tracker:`).
  std::vector<std::unique_ptr<ByteTracker>> trackers;
  std::vector<TrackerStats> tracker_counted;  // what each tracker's model counters hold already
  std::vector<LiveModel*> tracker_live;       // the model's counters, per tracker
  std::vector<uint8_t> keep_scratch;
  std::optional<Intrinsics> intrinsics;  // checked against the first frame's size
  bool intrinsics_checked = false;
  bool relative_depth_noted = false;
  double stream_fps = 0;       // > 0: an unpaced file; its frames' time is index / fps
  LiveCamera* live = nullptr;  // the camera's counters (the telemetry's and the summary's)
  int reconnect_streak = 0;    // reconnect attempts since the last frame read (capture thread)
  // Publish time of the last frame handed to on_frame, under mu; none yet: the next frame goes
  // (a 0 here held back every frame while the steady clock was younger than the interval, i.e.
  // on a machine booted less than frame_interval_s ago).
  std::optional<int64_t> preview_ns;
  std::optional<FramePrep> prep;  // rectify / blur before the models (capture thread)
  std::atomic<int> source_state{static_cast<int>(SourceState::ok)};  // SourceState; any thread
  // The deadline controller's skip (controller.cpp): only 1 frame in skip_stride goes to the
  // models; the others are read (a live camera's driver must be drained) and let go.
  std::atomic<int> skip_stride{1};

  // What the source is doing, for the telemetry and the sinks (ROS 2 diagnostics).
  void set_source_state(SourceState st) {
    source_state.store(static_cast<int>(st), std::memory_order_relaxed);
    live->source.store(static_cast<int>(st), std::memory_order_relaxed);
  }
};

}  // namespace percept
