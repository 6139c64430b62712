// Runs a pipeline config to the end of its sources: frames -> models -> sinks, with per-stage
// latency statistics. This is the offline, lossless, single-threaded runner (every frame of
// every camera is processed, cameras in turn); the real-time multi-threaded runtime builds on
// the same Detector and sinks.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "percept/pipeline/config.hpp"
#include "percept/telemetry/histogram.hpp"

namespace percept {

struct RunOptions {
  int64_t max_frames = -1;  // per camera; -1: until the source ends
};

struct RunSummary {
  int64_t frames = 0;         // frames read, all cameras
  int64_t failed_frames = 0;  // frames that could not be decoded or inferred
  int64_t detections = 0;
  int64_t sink_errors = 0;
  double wall_s = 0;
  Histogram preprocess_ns, inference_ns, postprocess_ns, end_to_end_ns;
  std::vector<std::string> outputs;  // files written
  double fps() const { return wall_s > 0 ? static_cast<double>(frames) / wall_s : 0; }
};

// Throws percept::Error when a source, model or output cannot be opened. Per-frame failures
// are counted and logged, and the run goes on.
RunSummary run_pipeline(const PipelineConfig& config, const RunOptions& options);

// The summary as the JSON object written to summary.json.
std::string summary_json(const RunSummary& s, const PipelineConfig& config);

}  // namespace percept
