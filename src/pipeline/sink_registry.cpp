// The sink table: the one place that knows which sinks exist and which config keys turn them on.
#include "percept/pipeline/sink_registry.hpp"

#include <filesystem>

#include "percept/ros2/bag.hpp"
#include "percept/ros2/ros2.hpp"

namespace percept {

namespace fs = std::filesystem;

const std::vector<SinkSpec>& sink_registry() {
  static const std::vector<SinkSpec> specs = {
      {"jsonl", [](const PipelineConfig& c) { return c.output.jsonl; },
       [](const SinkContext& s) {
         return make_jsonl_sink((fs::path(s.config.output.dir) / "detections.jsonl").string(),
                                s.info);
       }},
      {"video", [](const PipelineConfig& c) { return c.output.video; },
       [](const SinkContext& s) {
         return make_video_sink(s.config.output.dir, s.info, s.camera_fps);
       }},
      {"mosaic", [](const PipelineConfig& c) { return c.output.mosaic; },
       [](const SinkContext& s) {
         return make_mosaic_sink(s.config.output.dir, s.info,
                                 s.camera_fps.empty() ? 0 : s.camera_fps[0],
                                 s.config.output.mosaic_tile_width);
       }},
      {"images", [](const PipelineConfig& c) { return c.output.images; },
       [](const SinkContext& s) {
         return make_image_sink(s.config.output.dir, s.info, s.config.output.images_every);
       }},
      // ROS 2 topics (docs/ROS2.md); writes never wait long (ros2.hpp). Builds without DDS
      // refuse `ros2.enabled` when the config loads.
      {"ros2", [](const PipelineConfig& c) { return c.ros2.enabled; },
       [](const SinkContext& s) {
         std::vector<std::string> frame_ids;
         for (const auto& c : s.config.cameras) frame_ids.push_back(c.frame_id);
         return make_ros2_sink(s.config.ros2, s.info, std::move(frame_ids));
       }},
      // A ROS 2 bag of the same messages (docs/ROS2.md, "Recording"); needs no DDS domain.
      {"bag", [](const PipelineConfig& c) { return c.output.bag.has_value(); },
       [](const SinkContext& s) {
         std::vector<std::string> frame_ids;
         for (const auto& c : s.config.cameras) frame_ids.push_back(c.frame_id);
         return make_bag_sink(*s.config.output.bag, s.config.ros2.ns, s.info, std::move(frame_ids));
       }},
  };
  return specs;
}

std::vector<std::unique_ptr<Sink>> open_sinks(const SinkContext& ctx) {
  std::vector<std::unique_ptr<Sink>> sinks;
  for (const SinkSpec& spec : sink_registry())
    if (spec.wanted(ctx.config)) sinks.push_back(spec.make(ctx));
  return sinks;
}

}  // namespace percept
