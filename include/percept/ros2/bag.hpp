// Recording to a ROS 2 bag (docs/ROS2.md, "Recording"): the messages the ros2 sink publishes,
// byte for byte, written to an MCAP file as rosbag2 writes one on Jazzy, or to rosbag2's sqlite3
// storage (a folder with a .db3 and metadata.yaml). Needs no DDS domain and no network (the CDR
// comes from Cyclone DDS's serialiser alone), and no `ros2: {enabled: true}`. A build without
// DDS links a stub that throws percept::Error("... built without DDS ...").
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "percept/io/bag_options.hpp"
#include "percept/io/sinks.hpp"

namespace percept {

// A sink writing, per frame, what the ros2 sink would publish under `ros_namespace`: the topics
// of ros2.hpp, camera_info included, except /diagnostics and annotated images; with
// options.images also /<ns>/<camera>/image_raw, the camera's frame. One MCAP channel (or topics
// row) per topic; log and publish time = the frame's capture time (header.stamp). Throws
// percept::Error when the file cannot be created. write() runs on the sink's thread only; a
// chunk that cannot be written (disk full) is an error for the frame that closed it, and
// recording goes on with the next chunk.
std::unique_ptr<Sink> make_bag_sink(const BagOptions& options, const std::string& ros_namespace,
                                    const PipelineInfo& info, std::vector<std::string> frame_ids);

}  // namespace percept
