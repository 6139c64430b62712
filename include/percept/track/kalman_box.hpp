// The constant-velocity Kalman filter ByteTrack (and SORT before it) runs on each track's box:
// state (cx, cy, a, h) and their velocities, with a = w / h. Noise grows with the box height,
// so that a near, large object may move more pixels per frame than a far one. Time is counted
// in steps of 1/30 s, the frame period ByteTrack's noise weights were tuned for, so that the
// filter behaves the same on a 10 FPS and a 60 FPS camera.
#pragma once

#include <array>

#include "percept/core/detection.hpp"

namespace percept {

class KalmanBox {
 public:
  static constexpr double kStepsPerSecond = 30;

  void init(const Box& b);
  void predict(double steps);  // steps > 0
  void update(const Box& b);

  Box box() const;  // the filtered box
  // Velocity of the box centre in pixels per second.
  std::array<float, 2> velocity_px_s() const;

 private:
  std::array<double, 8> x_{};   // cx, cy, a, h, vcx, vcy, va, vh
  std::array<double, 64> p_{};  // covariance, row-major
};

// A constant-velocity filter on one coordinate (a 3D position axis), in seconds: what gives a
// tracked object its velocity in metres per second from noisy per-frame positions.
class KalmanAxis {
 public:
  void init(double x, double var);
  // `accel_var`: variance of the unmodelled acceleration (m^2/s^4); `meas_var`: of the position.
  void step(double dt_s, double z, double accel_var, double meas_var);
  double position() const { return x_[0]; }
  double velocity() const { return x_[1]; }

 private:
  std::array<double, 2> x_{};
  std::array<double, 4> p_{};
};

}  // namespace percept
