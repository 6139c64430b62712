// sensor_msgs/Image -> percept::Image: the checks every received camera message goes through
// (encoding, size, step, data length). Private to src/ros2; the ros2 source and the DDS fuzz
// target (fuzz/fuzz_dds_image.cpp) share it.
#pragma once

#include <string>

#include "percept/core/error.hpp"
#include "percept/core/image.hpp"
#include "ros2_msgs.h"

namespace percept::ros2 {

// Checks one message and copies its pixels into `out` (rgb8, bgr8, mono8; rgba8 and bgra8 lose
// their alpha). Errors name the topic and the problem; `out` is left as it was on error.
Status image_from_message(const sensor_msgs_msg_dds__Image_& msg, const std::string& topic,
                          Image& out);

}  // namespace percept::ros2
