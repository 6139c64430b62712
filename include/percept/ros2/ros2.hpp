// ROS 2 over DDS (Cyclone DDS, ROS 2 wire types; docs/ROS2.md). The pipeline creates these two
// plug-ins from its config; a build without DDS (PERCEPT_DDS=OFF or Cyclone DDS not found)
// links stubs that throw percept::Error("... built without DDS ...").
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "percept/io/ros2_options.hpp"
#include "percept/io/sinks.hpp"
#include "percept/io/source.hpp"

namespace percept {

// True when this build has DDS.
bool ros2_available();

// A sink publishing every frame's results (docs/ROS2.md for topics and fields):
//   /<ns>/<camera>/<model>/detections   vision_msgs/Detection2DArray  (detect models)
//   /<ns>/<camera>/<model>/depth        sensor_msgs/Image 32FC1       (depth models)
//   /<ns>/<camera>/<model>/segmentation sensor_msgs/Image mono8       (segment models)
//   /<ns>/<camera>/annotated            sensor_msgs/Image rgb8        (annotated_hz > 0)
//   /diagnostics                        diagnostic_msgs/DiagnosticArray, one status per camera
// Headers carry the frame's capture time (system clock) and frame_ids[camera]. Throws
// percept::Error when DDS cannot start. write() runs on the sink's thread only.
std::unique_ptr<Sink> make_ros2_sink(const Ros2Config& config, const PipelineInfo& info,
                                     std::vector<std::string> frame_ids);

// A camera reading sensor_msgs/Image (rgb8, bgr8, mono8) from a topic. read() waits for the
// next message; it returns end of stream when `stop` turns true or after source.timeout_s
// without one. A message with another encoding, a short step or a wrong data size is a read
// error naming the problem (counted by the pipeline), never a crash.
std::unique_ptr<Source> open_ros2_source(const std::string& camera, const Ros2SourceConfig& source,
                                         const Ros2Config& dds,
                                         const std::atomic<bool>* stop = nullptr);

// A camera replaying sensor_msgs/Image or CompressedImage messages of `config.ros2.topic` from
// a ROS 2 bag at `config.path` (an .mcap file, a rosbag2 .db3, or a rosbag2 folder), in
// recorded order, each frame stamped with its message's header stamp; fps() is the recorded
// rate. Throws percept::Error naming the file (not a bag, corrupt) or listing the topics the
// bag has when it lacks this one. Needs no DDS domain, but ships with the DDS build.
std::unique_ptr<Source> open_bag_source(const SourceConfig& config);

// A ROS 2 name ("/percept/front/detector/detections") as a DDS topic name ("rt/percept/...").
std::string ros2_topic_name(const std::string& ros_name);
// ROS 2 name tokens: letters, digits and underscores, not starting with a digit.
bool is_ros2_name_token(const std::string& s);
// A ROS 2 topic name: tokens separated by '/', optionally starting with '/'.
bool is_ros2_name(const std::string& s);

}  // namespace percept
