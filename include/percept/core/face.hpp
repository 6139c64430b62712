// Face detection results, in the pixel coordinates of the frame they came from.
#pragma once

#include <array>
#include <vector>

#include "percept/core/detection.hpp"

namespace percept {

// BlazeFace's six keypoints, in MediaPipe's order. "Right" is the person's right, which is on
// the image's left for a face looking at the camera.
enum class FaceKeypoint { right_eye, left_eye, nose_tip, mouth_centre, right_ear, left_ear };

struct Face {
  Box box;  // MediaPipe's face box: brows to chin, cheek to cheek (ears outside)
  float score = 0;
  std::array<std::array<float, 2>, 6> keypoints{};  // (x, y) pixels, FaceKeypoint order

  const std::array<float, 2>& keypoint(FaceKeypoint k) const {
    return keypoints[static_cast<size_t>(k)];
  }
};

using Faces = std::vector<Face>;

}  // namespace percept
