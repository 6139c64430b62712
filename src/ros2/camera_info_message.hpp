// sensor_msgs/CameraInfo for a camera percept knows the pinhole model of (docs/ROS2.md,
// "camera_info"). Private to src/ros2.
#pragma once

#include <array>

#include "percept/core/intrinsics.hpp"
#include "ros2_msgs.h"

namespace percept::ros2 {

// The CameraInfo of the image percept processes: the pixels its results are in, rectified
// when the camera has `rectify:`. So no distortion (plumb_bob, D all 0), R the identity, K and
// P from the intrinsics (P's Tx, Ty 0). `d` holds the five zero coefficients the message
// borrows; header is left to the caller.
sensor_msgs_msg_dds__CameraInfo_ camera_info_message(const Intrinsics& in, int width, int height,
                                                     std::array<double, 5>& d);

}  // namespace percept::ros2
