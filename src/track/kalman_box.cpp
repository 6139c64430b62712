#include "percept/track/kalman_box.hpp"

#include <cmath>

namespace percept {

namespace {

// ByteTrack's weights (yolox/tracker/kalman_filter.py): position and velocity noise as a
// fraction of the box height per step.
constexpr double kWeightPosition = 1.0 / 20;
constexpr double kWeightVelocity = 1.0 / 160;

double sq(double v) {
  return v * v;
}

}  // namespace

void KalmanBox::init(const Box& b) {
  const double h = b.height();
  x_ = {(b.x1 + b.x2) / 2.0, (b.y1 + b.y2) / 2.0, b.width() / h, h, 0, 0, 0, 0};
  const std::array<double, 8> sd = {
      2 * kWeightPosition * h,  2 * kWeightPosition * h,  1e-2, 2 * kWeightPosition * h,
      10 * kWeightVelocity * h, 10 * kWeightVelocity * h, 1e-5, 10 * kWeightVelocity * h};
  p_.fill(0);
  for (int i = 0; i < 8; ++i) p_[i * 8 + i] = sq(sd[i]);
}

void KalmanBox::predict(double steps) {
  const double h = x_[3];
  // x = F x with F = [I, k I; 0, I]
  for (int i = 0; i < 4; ++i) x_[i] += steps * x_[i + 4];
  // P = F P F^T: rows then columns
  std::array<double, 64> t = p_;
  for (int i = 0; i < 4; ++i)
    for (int j = 0; j < 8; ++j) t[i * 8 + j] = p_[i * 8 + j] + steps * p_[(i + 4) * 8 + j];
  p_ = t;
  for (int i = 0; i < 8; ++i)
    for (int j = 0; j < 4; ++j) p_[i * 8 + j] = t[i * 8 + j] + steps * t[i * 8 + j + 4];
  // Q grows linearly with the time elapsed (a random walk per step).
  const std::array<double, 8> sd = {
      kWeightPosition * h, kWeightPosition * h, 1e-2, kWeightPosition * h,
      kWeightVelocity * h, kWeightVelocity * h, 1e-5, kWeightVelocity * h};
  for (int i = 0; i < 8; ++i) p_[i * 8 + i] += steps * sq(sd[i]);
}

void KalmanBox::update(const Box& b) {
  const double h = x_[3];
  const std::array<double, 4> z = {(b.x1 + b.x2) / 2.0, (b.y1 + b.y2) / 2.0, b.width() / b.height(),
                                   b.height()};
  const std::array<double, 4> r = {sq(kWeightPosition * h), sq(kWeightPosition * h), sq(1e-1),
                                   sq(kWeightPosition * h)};
  // S = H P H^T + R: the top-left 4x4 block of P.
  double s[4][4];
  for (int i = 0; i < 4; ++i)
    for (int j = 0; j < 4; ++j) s[i][j] = p_[i * 8 + j] + (i == j ? r[i] : 0);
  // Inverse of S (symmetric positive definite) by Gauss-Jordan with partial pivoting.
  double inv[4][4] = {{1, 0, 0, 0}, {0, 1, 0, 0}, {0, 0, 1, 0}, {0, 0, 0, 1}};
  for (int c = 0; c < 4; ++c) {
    int piv = c;
    for (int r2 = c + 1; r2 < 4; ++r2)
      if (std::fabs(s[r2][c]) > std::fabs(s[piv][c])) piv = r2;
    if (std::fabs(s[piv][c]) < 1e-12) return;  // degenerate: keep the prediction
    for (int k = 0; k < 4; ++k) std::swap(s[c][k], s[piv][k]), std::swap(inv[c][k], inv[piv][k]);
    const double d = s[c][c];
    for (int k = 0; k < 4; ++k) s[c][k] /= d, inv[c][k] /= d;
    for (int r2 = 0; r2 < 4; ++r2) {
      if (r2 == c) continue;
      const double f = s[r2][c];
      for (int k = 0; k < 4; ++k) s[r2][k] -= f * s[c][k], inv[r2][k] -= f * inv[c][k];
    }
  }
  // K = P H^T S^-1: 8x4 (P H^T is the first four columns of P).
  double kg[8][4];
  for (int i = 0; i < 8; ++i)
    for (int j = 0; j < 4; ++j) {
      double acc = 0;
      for (int k = 0; k < 4; ++k) acc += p_[i * 8 + k] * inv[k][j];
      kg[i][j] = acc;
    }
  std::array<double, 4> y;
  for (int i = 0; i < 4; ++i) y[i] = z[i] - x_[i];
  for (int i = 0; i < 8; ++i)
    for (int j = 0; j < 4; ++j) x_[i] += kg[i][j] * y[j];
  // P = P - K H P (H P is the first four rows of P).
  std::array<double, 64> t = p_;
  for (int i = 0; i < 8; ++i)
    for (int j = 0; j < 8; ++j) {
      double acc = 0;
      for (int k = 0; k < 4; ++k) acc += kg[i][k] * p_[k * 8 + j];
      t[i * 8 + j] = p_[i * 8 + j] - acc;
    }
  p_ = t;
}

Box KalmanBox::box() const {
  const double h = x_[3], w = x_[2] * h;
  return {static_cast<float>(x_[0] - w / 2), static_cast<float>(x_[1] - h / 2),
          static_cast<float>(x_[0] + w / 2), static_cast<float>(x_[1] + h / 2)};
}

std::array<float, 2> KalmanBox::velocity_px_s() const {
  return {static_cast<float>(x_[4] * kStepsPerSecond), static_cast<float>(x_[5] * kStepsPerSecond)};
}

void KalmanAxis::init(double x, double var) {
  x_ = {x, 0};
  p_ = {var, 0, 0, 1e2};  // the velocity is unknown: metres per second, wide
}

void KalmanAxis::step(double dt, double z, double accel_var, double meas_var) {
  // Predict with F = [1 dt; 0 1], Q from white acceleration noise.
  x_[0] += dt * x_[1];
  const double p00 = p_[0] + dt * (p_[1] + p_[2]) + dt * dt * p_[3];
  const double p01 = p_[1] + dt * p_[3], p10 = p_[2] + dt * p_[3], p11 = p_[3];
  const double dt2 = dt * dt;
  p_ = {p00 + accel_var * dt2 * dt2 / 4, p01 + accel_var * dt2 * dt / 2,
        p10 + accel_var * dt2 * dt / 2, p11 + accel_var * dt2};
  // Update with H = [1 0].
  const double s = p_[0] + meas_var;
  const double k0 = p_[0] / s, k1 = p_[2] / s;
  const double y = z - x_[0];
  x_[0] += k0 * y;
  x_[1] += k1 * y;
  p_ = {(1 - k0) * p_[0], (1 - k0) * p_[1], p_[2] - k1 * p_[0], p_[3] - k1 * p_[1]};
}

}  // namespace percept
