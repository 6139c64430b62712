// The ROS 2 options' plain parts (QoS names, the ROS environment variables), in io with the
// options themselves: the config loader and sources read them in builds without DDS too.
#include "percept/io/ros2_options.hpp"

#include <cstdlib>

namespace percept {

const char* ros2_qos_name(Ros2Qos q) {
  return q == Ros2Qos::sensor_data ? "sensor_data" : "reliable";
}

void apply_ros_environment(Ros2Config& c) {
  if (const char* d = std::getenv("ROS_DOMAIN_ID"); d && *d) {
    char* end = nullptr;
    const long v = std::strtol(d, &end, 10);
    if (*end == '\0' && v >= 0 && v <= 232) c.domain_id = static_cast<int>(v);
  }
  if (const char* l = std::getenv("ROS_LOCALHOST_ONLY"); l && std::string(l) == "1")
    c.localhost_only = true;
}

}  // namespace percept
