// The calibrations of tests/data/camera_info/ as values, for the GPU test binaries: they run on
// a machine that has the binaries but not the source tree (scripts/gpu_verify.sh).
#pragma once

#include <vector>

#include "percept/imgproc/camera_info.hpp"

namespace percept::test {

inline std::vector<CameraInfo> test_cameras() {
  CameraInfo pb;
  pb.camera_name = "plumb_bob_640x480";
  pb.width = 640;
  pb.height = 480;
  pb.K = {612.5, 0, 318.2, 0, 610.9, 241.7, 0, 0, 1};
  pb.model = DistortionModel::plumb_bob;
  pb.D = {-0.281, 0.0912, 0.00071, -0.00043, -0.0135, 0, 0, 0};
  pb.R = {1, 0, 0, 0, 1, 0, 0, 0, 1};
  pb.P = {540.3, 0, 320.6, 0, 0, 556.1, 239.4, 0, 0, 0, 1, 0};
  CameraInfo rp;
  rp.camera_name = "rational_1280x720";
  rp.width = 1280;
  rp.height = 720;
  rp.K = {910.2, 0, 641.5, 0, 909.8, 362.3, 0, 0, 1};
  rp.model = DistortionModel::rational_polynomial;
  rp.D = {0.412, -0.121, 0.0004, -0.0007, -0.0093, 0.781, -0.0402, -0.0411};
  rp.R = {0.99995, 0.0021, -0.0098, -0.0020, 0.99998, 0.0061, 0.0098, -0.0061, 0.99993};
  rp.P = {880.0, 0, 650.1, 0, 0, 880.0, 358.7, 0, 0, 0, 1, 0};
  CameraInfo eq;
  eq.camera_name = "equidistant_640x480";
  eq.width = 640;
  eq.height = 480;
  eq.K = {285.7, 0, 321.4, 0, 285.2, 238.9, 0, 0, 1};
  eq.model = DistortionModel::equidistant;
  eq.D = {-0.0121, 0.0483, -0.0442, 0.0117, 0, 0, 0, 0};
  eq.R = {1, 0, 0, 0, 1, 0, 0, 0, 1};
  eq.P = {200.0, 0, 320.0, 0, 0, 200.0, 240.0, 0, 0, 0, 1, 0};
  return {pb, rp, eq};
}

}  // namespace percept::test
