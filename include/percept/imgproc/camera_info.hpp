// Camera calibration in the ROS camera_info YAML format (camera_calibration's output, read by
// camera_info_manager): image_width, image_height, camera_name, camera_matrix, distortion_model,
// distortion_coefficients, rectification_matrix, projection_matrix; each matrix a map
// {rows, cols, data}. Loading is a configuration boundary: errors are values whose message
// names FILE:LINE and the key.
#pragma once

#include <array>
#include <string>
#include <vector>

#include "percept/core/error.hpp"

namespace percept {

enum class DistortionModel { plumb_bob, rational_polynomial, equidistant };

struct CameraInfo {
  std::string camera_name;
  int width = 0, height = 0;
  std::array<double, 9> K{};  // camera matrix, row-major
  DistortionModel model = DistortionModel::plumb_bob;
  // plumb_bob: k1 k2 p1 p2 k3 (4 or 5 given, the rest 0); rational_polynomial: k1 k2 p1 p2 k3
  // k4 k5 k6 (5 or 8 given); equidistant: k1 k2 k3 k4. Always padded to 8 here.
  std::array<double, 8> D{};
  std::array<double, 9> R{};   // rectification rotation, row-major
  std::array<double, 12> P{};  // projection matrix 3x4, row-major; its left 3x3 is the new K
};

// Reads and checks a camera_info YAML file. Keys other than the ones above are errors
// (a misspelt key would otherwise silently leave the distortion at zero).
Result<CameraInfo> load_camera_info(const std::string& path);

const char* to_string(DistortionModel m);

}  // namespace percept
