#include <algorithm>
#include <cstdio>

#include "percept/pipeline/control.hpp"

namespace percept {

namespace {

std::string percent(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f%%", v * 100);
  return buf;
}

std::string times(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2fx", v);
  return buf;
}

}  // namespace

ControlPolicy::ControlPolicy(const ControlConfig& config, int steps)
    : c_(config), steps_(steps), restore_wait_(config.restore_after_s) {}

ControlPolicy::Decision ControlPolicy::decide(double now_s, const ControlWindow& w) {
  held_back_ = false;
  // A restore that held for its whole flap horizon was right: the wait it needed shrinks back
  // (halved, down to restore_after_s), so that one early flap does not slow every later one.
  if (last_restore_ && now_s - *last_restore_ >= flap_horizon()) {
    restore_wait_ = std::max(c_.restore_after_s, restore_wait_ / 2);
    last_restore_.reset();
  }
  if (last_action_ && now_s - *last_action_ < c_.settle_s) return Decision::none;
  if (w.results < static_cast<uint64_t>(c_.min_frames)) return Decision::none;
  const bool late = w.late_share > c_.miss_high;
  const bool slow = w.p99_ratio > c_.p99_high;
  if (late || slow) {
    headroom_since_.reset();
    reason_ = late ? "late " + percent(w.late_share) + " > " + percent(c_.miss_high) + " on " +
                         w.late_camera
                   : "p99 " + times(w.p99_ratio) + " of the deadline > " + times(c_.p99_high) +
                         " on " + w.p99_camera;
    if (level_ >= steps_) {
      at_limit_ = true;  // the lightest setting: stay, and say so (the controller reports it)
      return Decision::none;
    }
    // A miss this soon after a restore means the restore came too early: wait longer next time.
    // Once per restore: the further steps down of the same overload are not more flaps.
    if (last_restore_ && now_s - *last_restore_ < flap_horizon()) {
      restore_wait_ = std::min(restore_wait_ * 2, c_.max_restore_after_s);
      last_restore_.reset();
    }
    ++level_;
    last_action_ = now_s;
    return Decision::degrade;
  }
  at_limit_ = false;
  const bool headroom = w.late_share <= c_.miss_low && w.p99_ratio <= c_.p99_low;
  if (!headroom) {
    headroom_since_.reset();
    return Decision::none;
  }
  if (!headroom_since_) headroom_since_ = now_s;
  const double calm = now_s - *headroom_since_;
  if (level_ == 0 || calm < restore_wait_) return Decision::none;
  // The step back must be predicted to fit; after max_restore_after_s of headroom it is tried
  // anyway (the prediction may be wrong, and a flap doubles the next wait).
  const bool probe = !w.restore_fits;
  if (probe && calm < c_.max_restore_after_s) {
    reason_ = "headroom, but " + w.restore_blocked;
    held_back_ = true;
    return Decision::none;
  }
  reason_ = "headroom for " + std::to_string(static_cast<int>(calm)) + " s (late " +
            percent(w.late_share) + ", p99 " + times(w.p99_ratio) + " of the deadline)" +
            (probe ? "; a probe: " + w.restore_blocked : std::string());
  --level_;
  last_action_ = now_s;
  last_restore_ = now_s;
  restore_wait_at_restore_ = restore_wait_;
  headroom_since_.reset();
  return Decision::restore;
}

void ControlPolicy::take_next(double now_s) {
  if (level_ >= steps_) return;
  ++level_;
  last_action_ = now_s;
}

}  // namespace percept
