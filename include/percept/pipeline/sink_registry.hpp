// The sinks a run can write to, in one table (STYLE 3, as infer/registry.cpp is for backends):
// each entry says whether the config asks for it and how to make it. The runtime opens every
// asked-for sink through this table and knows none of them by name; the ROS 2 sink is an entry
// like the file sinks. To add a sink: implement Sink (io/sinks.hpp or a module of its own),
// add its config key (pipeline/config.hpp), add one entry in src/pipeline/sink_registry.cpp.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "percept/io/sinks.hpp"
#include "percept/pipeline/config.hpp"

namespace percept {

// What a sink may need to open, besides the config.
struct SinkContext {
  const PipelineConfig& config;
  const PipelineInfo& info;        // must outlive the sink
  std::vector<double> camera_fps;  // each camera's source FPS (0: unknown)
};

struct SinkSpec {
  std::string name;  // as in summaries and telemetry: jsonl, video, images, ros2
  std::function<bool(const PipelineConfig&)> wanted;
  // Throws percept::Error when the sink cannot start (a folder it cannot create, DDS).
  std::function<std::unique_ptr<Sink>(const SinkContext&)> make;
};

// Every sink percept has, in the order they are opened.
const std::vector<SinkSpec>& sink_registry();

// The sinks `ctx.config` asks for, opened in registry order.
std::vector<std::unique_ptr<Sink>> open_sinks(const SinkContext& ctx);

}  // namespace percept
