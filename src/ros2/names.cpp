// ROS 2 names: shared by builds with and without DDS (the config loader checks
// names either way).
#include <algorithm>
#include <cctype>

#include "percept/ros2/ros2.hpp"

namespace percept {

std::string ros2_topic_name(const std::string& ros_name) {
  // rmw_cyclonedds / rmw_fastrtps: topics get the "rt" prefix, the leading '/' kept.
  return "rt" + (ros_name.empty() || ros_name[0] != '/' ? "/" + ros_name : ros_name);
}

bool is_ros2_name(const std::string& s) {
  if (s.empty() || s.back() == '/') return false;
  size_t start = s[0] == '/' ? 1 : 0;
  while (start <= s.size()) {
    const size_t end = std::min(s.find('/', start), s.size());
    if (!is_ros2_name_token(s.substr(start, end - start))) return false;
    start = end + 1;
  }
  return true;
}

bool is_ros2_name_token(const std::string& s) {
  if (s.empty() || std::isdigit(static_cast<unsigned char>(s[0]))) return false;
  for (char c : s)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_')) return false;
  return true;
}

}  // namespace percept
