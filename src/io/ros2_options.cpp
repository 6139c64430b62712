// The ROS 2 options' plain parts (QoS names, the ROS environment variables), in io with the
// options themselves: the config loader and sources read them in builds without DDS too.
#include "percept/io/ros2_options.hpp"

#include <spdlog/spdlog.h>

#include <cstdlib>

namespace percept {

const char* ros2_qos_name(Ros2Qos q) {
  return q == Ros2Qos::sensor_data ? "sensor_data" : "reliable";
}

const char* ros2_distro_name(Ros2Distro d) {
  return d == Ros2Distro::humble ? "humble" : "jazzy";
}

bool parse_ros2_distro(const std::string& s, Ros2Distro& out) {
  if (s == "humble" || s == "foxy" || s == "galactic") {
    out = Ros2Distro::humble;
    return true;
  }
  if (s == "iron" || s == "jazzy" || s == "kilted" || s == "rolling") {
    out = Ros2Distro::jazzy;
    return true;
  }
  return false;
}

void apply_ros_environment(Ros2Config& c) {
  if (const char* d = std::getenv("ROS_DOMAIN_ID"); d && *d) {
    char* end = nullptr;
    const long v = std::strtol(d, &end, 10);
    if (*end == '\0' && v >= 0 && v <= 232) c.domain_id = static_cast<int>(v);
  }
  if (const char* l = std::getenv("ROS_LOCALHOST_ONLY"); l && std::string(l) == "1")
    c.localhost_only = true;
  if (const char* d = std::getenv("ROS_DISTRO"); d && *d && !parse_ros2_distro(d, c.distro))
    spdlog::warn(
        "ros2: unknown $ROS_DISTRO '{}', using jazzy's node graph layout (set "
        "ros2.distro: humble for Humble and older)",
        d);
}

}  // namespace percept
