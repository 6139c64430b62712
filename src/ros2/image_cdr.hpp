// sensor_msgs/Image and sensor_msgs/CompressedImage from their CDR bytes as a bag stores them
// (the 4-byte encapsulation header, then XCDR1 little endian), decoded by hand with every
// length checked: bag contents are untrusted. Private to src/ros2 (bag_source.cpp, the bag
// fuzz target).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "percept/core/error.hpp"
#include "percept/core/image.hpp"

namespace percept::ros2 {

struct StampedImage {
  int64_t stamp_ns = 0;  // header.stamp
};

// Decodes one serialised sensor_msgs/Image into `out` through the same checks as a DDS image
// (image_from_message: encoding, step, data size). Errors name `what` (bag, topic, message).
Status image_from_cdr(const uint8_t* data, size_t size, const std::string& what, Image& out,
                      int64_t& stamp_ns);

// Decodes one serialised sensor_msgs/CompressedImage (jpeg, png, ...: what OpenCV decodes) into
// `out` (bgr8 or gray8). Images over `max_pixels` are refused from their header.
Status compressed_image_from_cdr(const uint8_t* data, size_t size, const std::string& what,
                                 Image& out, int64_t& stamp_ns, uint64_t max_pixels);

}  // namespace percept::ros2
