#include "camera_info_message.hpp"

namespace percept::ros2 {

sensor_msgs_msg_dds__CameraInfo_ camera_info_message(const Intrinsics& in, int width, int height,
                                                     std::array<double, 5>& d) {
  sensor_msgs_msg_dds__CameraInfo_ m{};
  m.width_ = static_cast<uint32_t>(width);
  m.height_ = static_cast<uint32_t>(height);
  m.distortion_model_ = const_cast<char*>("plumb_bob");
  d.fill(0);
  m.d_ = {static_cast<uint32_t>(d.size()), static_cast<uint32_t>(d.size()), d.data(), false};
  const double k[9] = {in.fx, 0, in.cx, 0, in.fy, in.cy, 0, 0, 1};
  const double r[9] = {1, 0, 0, 0, 1, 0, 0, 0, 1};
  const double p[12] = {in.fx, 0, in.cx, 0, 0, in.fy, in.cy, 0, 0, 0, 1, 0};
  for (int i = 0; i < 9; ++i) {
    m.k_[i] = k[i];
    m.r_[i] = r[i];
  }
  for (int i = 0; i < 12; ++i) m.p_[i] = p[i];
  return m;  // binning 0 (none) and an empty ROI (the full image), as ROS 2 reads them
}

}  // namespace percept::ros2
