// The `ros2:` section of a pipeline config (docs/ROS2.md): how percept appears on a ROS 2
// graph. Plain values, no DDS types: the config loader and builds without DDS use it too.
#pragma once

#include <string>
#include <vector>

namespace percept {

// ROS 2 QoS presets. sensor_data: best effort, keep last `depth`, volatile (rclcpp's
// SensorDataQoS). reliable: reliable, keep last `depth`, volatile (rclcpp's default QoS); a
// reliable writer matches both reliable and best-effort subscriptions.
enum class Ros2Qos { sensor_data, reliable };
const char* ros2_qos_name(Ros2Qos q);

// The rmw_dds_common layout of the node graph (ros_discovery_info): Humble and older carry
// 24-byte gids, Iron and later 16 (docs/ROS2.md, "Node graph").
enum class Ros2Distro { humble, jazzy };
const char* ros2_distro_name(Ros2Distro d);
// humble, foxy, galactic -> humble; iron, jazzy, kilted, rolling -> jazzy; false otherwise.
bool parse_ros2_distro(const std::string& s, Ros2Distro& out);

struct Ros2Config {
  bool enabled = false;             // publish results (the section's presence alone does not)
  int domain_id = 0;                // default: $ROS_DOMAIN_ID when set, else 0
  Ros2Qos qos = Ros2Qos::reliable;  // publishers; reliable matches every ROS 2 subscription
  int depth = 0;                    // history depth; 0: 1 for sensor_data, 10 for reliable
  double deadline_ms = 0;           // DDS deadline QoS offered by the writers (0: none)
  // DDS lifespan QoS of the writers (0: none): a message older than this (from its source
  // time) is dropped from readers' caches unread, so a subscriber that falls behind never acts
  // on stale results (the seeds' 100 ms). Issue 22.
  double lifespan_ms = 0;
  // Longest time a reliable write may wait for acknowledgements when the writer's cache is
  // full (a slow subscriber); then the message is dropped and counted. Never blocks the
  // executors: writes run on the sink's own thread.
  double max_blocking_ms = 5;
  // Only 127.0.0.1 (no multicast, unicast discovery to local peers), like
  // ROS_LOCALHOST_ONLY=1; default: $ROS_LOCALHOST_ONLY == 1.
  bool localhost_only = false;
  // How percept shows in `ros2 node list`: node name, and the graph layout of the ROS 2 distro
  // it talks to (default: $ROS_DISTRO, else jazzy).
  std::string node_name = "percept";
  Ros2Distro distro = Ros2Distro::jazzy;
  std::string ns = "percept";  // topic prefix: /<ns>/<camera>/<model>/detections
  double annotated_hz = 0;     // /<ns>/<camera>/annotated (rgb8) at most this often; 0: off
  double diagnostics_hz = 1;   // /diagnostics (DiagnosticArray) per camera; 0: off
  // Wait at start until every topic has a subscriber, at most this long (recording, tests).
  double wait_for_subscribers_s = 0;
  // Socket receive/send buffers asked of the kernel (bytes); large images need several MB.
  // The kernel caps them at net.core.rmem_max / wmem_max.
  int socket_buffer_bytes = 8 << 20;
};

// $ROS_DOMAIN_ID, $ROS_LOCALHOST_ONLY=1 and $ROS_DISTRO as defaults (before a config's
// explicit keys).
void apply_ros_environment(Ros2Config& c);

// Settings of one `source: ros2` camera (sensor_msgs/Image subscription).
struct Ros2SourceConfig {
  std::string topic;                   // ROS 2 name, e.g. /camera/image_raw
  Ros2Qos qos = Ros2Qos::sensor_data;  // best effort matches every publisher
  int depth = 1;
  double timeout_s = 0;  // end of stream after this long without a message; 0: never
};

}  // namespace percept
