// A build without DDS (PERCEPT_DDS=OFF, or Cyclone DDS / idlc not found at configure time):
// a config asking for ROS 2 is an error that says so, never silently ignored.
#include "percept/core/error.hpp"
#include "percept/ros2/ros2.hpp"

namespace percept {

namespace {
[[noreturn]] void no_dds(const std::string& what) {
  throw Error(what +
              ": percept was built without DDS (install Debian's cyclonedds-dev and "
              "cyclonedds-tools, then configure again with PERCEPT_DDS=AUTO or ON)");
}
}  // namespace

bool ros2_available() {
  return false;
}

std::unique_ptr<Sink> make_ros2_sink(const Ros2Config&, const PipelineInfo&,
                                     std::vector<std::string>) {
  no_dds("ros2.enabled");
}

std::unique_ptr<Source> open_ros2_source(const std::string& camera, const Ros2SourceConfig&,
                                         const Ros2Config&, const std::atomic<bool>*) {
  no_dds("camera '" + camera + "': source ros2");
}

std::unique_ptr<Source> open_bag_source(const SourceConfig& config) {
  no_dds("camera '" + config.camera + "': source bag");
}

}  // namespace percept
