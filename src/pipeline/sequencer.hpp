// Result ordering: a camera's frames leave for the sinks in capture order, each once every
// model serving the camera is done with it (done, dropped or failed). On the way out a frame is
// checked against the camera's deadline, its detections get distances from the camera's depth
// map (the fuser) and 3D positions from the camera's intrinsics, tracked models track them, and it
// is handed to every sink and, rate-limited, to the preview.
//
// Threads: track() on the camera's capture thread, model_done() on executor threads (and the
// capture thread for frames it drops); publishing runs under the camera's mutex on whichever
// thread completed the head frame.
#pragma once

#include <memory>
#include <vector>

#include "camera_state.hpp"
#include "percept/io/sinks.hpp"
#include "percept/pipeline/fuser.hpp"

namespace percept {

class Sequencer {
 public:
  // All references must outlive the sequencer. `preview`: null, or set before frames flow.
  Sequencer(std::vector<CameraState>& cams, const std::vector<std::unique_ptr<SinkWorker>>& sinks,
            const std::unique_ptr<SinkWorker>& preview, DistanceStat distance,
            double preview_interval_s)
      : cams_(cams),
        sinks_(sinks),
        preview_(preview),
        distance_(distance),
        preview_interval_ns_(static_cast<int64_t>(preview_interval_s * 1e9)) {}

  // A captured frame enters its camera's order before any model may finish it.
  void track(CameraState& c, const FrameRef& f);
  // One model is done with `f` (its result stored): the last one completes it.
  void model_done(FrameRef& f);
  // `f` never reaches a model (displaced from its slot, refused): dropped for every model.
  void drop_for_all(CameraState& c, FrameRef& f);
  // A frame of a camera no model serves is complete as soon as it is tracked.
  void complete(FrameRef& f);

 private:
  void publish(CameraState& c, FrameRef& f);  // under c.mu, in capture order
  void fuse(CameraState& c, Frame& f);        // distances from the depth model's map, 3D
  void follow(CameraState& c, Frame& f);      // the trackers of the camera's models

  std::vector<CameraState>& cams_;
  const std::vector<std::unique_ptr<SinkWorker>>& sinks_;
  const std::unique_ptr<SinkWorker>& preview_;
  DistanceStat distance_;
  int64_t preview_interval_ns_;
};

}  // namespace percept
