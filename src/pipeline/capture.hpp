// A camera's capture thread: reads frames from its source (paced at the source's FPS when the
// camera is live), applies the camera's rectify / blur (FramePrep), stamps the capture times,
// hands each frame to the sequencer and queues it on the frame board for the camera's models.
// A live source that ends or keeps failing is reopened with exponential backoff (bounded, per
// camera: CameraConfig::reconnect, else the RuntimeOptions); files, synthetic scenes and ros2
// topics simply end.
#pragma once

#include <atomic>
#include <functional>
#include <memory>

#include "camera_state.hpp"
#include "percept/pipeline/frame_board.hpp"
#include "percept/pipeline/runtime.hpp"
#include "sequencer.hpp"

namespace percept {

struct CaptureContext {
  const RuntimeOptions& options;  // max_frames, reconnect defaults
  FramePool& pool;
  FrameBoard& board;
  Sequencer& sequencer;
  std::function<bool()> stop_requested;                                     // any thread
  std::function<std::unique_ptr<Source>(const SourceConfig&)> open_source;  // (re)opening
};

// The thread body: returns when the source ends, is given up, or a stop is requested, after
// closing the camera on the board. Throws on a fault that holds for every frame of the camera
// (a frame size its calibration does not fit); the caller stops that camera only.
void run_capture(CameraState& c, const CaptureContext& ctx);

}  // namespace percept
