// The deadline controller's settings and its decision rule (docs/CONTROL.md). The controller
// (src/pipeline/controller.cpp) looks at the cameras with a deadline every interval_s, over a
// window of the last window_s seconds (starting half a settle time after its last action), and
// moves one step along a ladder of settings ordered by cost (a batch wait of 0, skipped frames
// of lower-priority cameras, lighter model variants): one step down when a camera misses, one
// step back up after the restore wait (restore_after_s) of headroom. A step down soon after a
// restore doubles that wait, a restore that holds halves it again (hysteresis). A step back up
// must also be predicted to fit (ControlWindow::restore_fits); when the prediction says it
// would not, it is only tried after max_restore_after_s of headroom.
#pragma once

#include <optional>
#include <string>

namespace percept {

// `control:` in the config. Off unless `enabled: true`; every threshold has a default.
struct ControlConfig {
  bool enabled = false;
  double interval_s = 0.25;  // how often the controller looks
  double window_s = 2.0;     // what it judges: the last window_s seconds (see above)
  // A camera is overloaded when more than miss_high of its frames are late (a deadline miss,
  // or displaced before any model ran) or its end-to-end p99 is over p99_high x its deadline.
  double miss_high = 0.05;
  double p99_high = 1.0;
  // Headroom: every judged camera at or under miss_low late and p99_low x its deadline.
  double miss_low = 0.01;
  double p99_low = 0.8;
  double settle_s = 1.0;              // after an action (and at start), nothing is judged this long
  double restore_after_s = 5.0;       // headroom this long undoes one step (doubled after a flap)
  double max_restore_after_s = 60.0;  // the doubled restore wait stops growing here
  // A step back up must fit: the model it loads again is predicted to be busy at most this
  // share of the time (from what its frames cost when it last ran, scaled by how much faster
  // the current setting got since). When the prediction says no, it is tried after
  // max_restore_after_s of headroom; without evidence (no settled cost yet) the time rule
  // alone decides.
  double max_busy = 0.8;
  int max_skip = 4;     // a lower-priority camera keeps at least 1 frame in max_skip
  int min_frames = 10;  // a window with fewer results (all cameras) is not judged
  std::string where;    // FILE:LINE of `control:`, for errors found at open
};

// What the window since the last action held, over the judged cameras (those with a deadline).
struct ControlWindow {
  uint64_t results = 0;     // frames completed or dropped unprocessed, all cameras
  double late_share = 0;    // the worst camera's (misses + unprocessed) / results
  double p99_ratio = 0;     // the worst camera's end-to-end p99 / its deadline
  std::string late_camera;  // which camera late_share is about
  std::string p99_camera;   // which camera p99_ratio is about
  // Whether undoing the last step is predicted to fit (the controller's estimate), and if not,
  // why ("model 'det' with heavy.onnx: 60.0 ms a frame x 15.0 frames/s = busy 90% > 80%").
  bool restore_fits = true;
  std::string restore_blocked;
};

// The decision rule alone (no clocks, no threads), so that tests can drive it with made-up
// windows. `now_s` is any monotonic time in seconds.
class ControlPolicy {
 public:
  enum class Decision { none, degrade, restore };
  ControlPolicy(const ControlConfig& config, int steps);

  Decision decide(double now_s, const ControlWindow& w);
  // One more step down at once, after a degrade whose step cannot help (the controller's
  // judgement); no-op at the last step.
  void take_next(double now_s);

  int level() const { return level_; }  // steps in effect, 0..steps
  int steps() const { return steps_; }
  // Overloaded at the last step of the ladder: nothing left to do (it stays, never flaps).
  bool at_limit() const { return at_limit_; }
  double restore_wait_s() const { return restore_wait_; }
  // The last decide() had headroom long enough but the step back was predicted not to fit
  // (reason() says why).
  bool held_back() const { return held_back_; }
  // The time of the last action, or nullopt before the first: the window starts there.
  std::optional<double> last_action_s() const { return last_action_; }
  // Why the last decision was taken, in words ("late 12.0% > 5.0% on front").
  const std::string& reason() const { return reason_; }

 private:
  ControlConfig c_;
  int steps_;
  int level_ = 0;
  bool at_limit_ = false;
  bool held_back_ = false;
  double restore_wait_;
  // How long after a restore a step down counts as a flap: the wait that restore needed, the
  // settle time and a window.
  double flap_horizon() const { return restore_wait_at_restore_ + c_.settle_s + c_.window_s; }

  std::optional<double> last_action_, last_restore_, headroom_since_;
  double restore_wait_at_restore_ = 0;
  std::string reason_;
};

}  // namespace percept
