// The `percept run` configuration file (YAML). Relative paths are relative to the config
// file's folder. Every key is checked: an unknown key, a wrong type, an out-of-range value or a
// missing file is an error "FILE:LINE: key: problem" (STYLE 9: nothing is guessed quietly).
//
//   cameras:
//     - id: front                # names the camera in every output
//       source: video            # video | images (a file, a folder or a glob such as dir/*.png)
//       path: clip.avi
//   models:
//     - id: detector
//       task: detect             # the only task so far
//       path: model.onnx
//       cameras: [front]         # default: every camera
//       conf: 0.25               # confidence threshold
//       iou: 0.45                # NMS IoU threshold
//       max_det: 300
//       layout: auto             # auto | v8 | v5 | end2end
//       labels: labels.txt       # default: the model's `names` metadata
//       input_size: [640, 640]   # [width, height]; default: from the model
//       device: cpu
//       threads: 0               # ONNX Runtime intra-op threads, 0 = its default
//       graph_optimization: all  # disable | basic | extended | all
//   output:
//     dir: out                   # created when missing
//     jsonl: true                # detections.jsonl, one line per frame and model
//     video: true                # <camera>.annotated.avi
//     summary: true              # summary.json
#pragma once

#include <string>
#include <vector>

#include "percept/io/source.hpp"
#include "percept/tasks/detect/detector.hpp"

namespace percept {

struct CameraConfig {
  std::string id;
  SourceConfig source;
};

struct ModelConfig {
  std::string id;
  std::string task = "detect";
  DetectorConfig detector;
  std::vector<std::string> cameras;  // resolved: never empty after loading
};

struct OutputConfig {
  std::string dir;
  bool jsonl = true;
  bool video = true;
  bool summary = true;
};

struct PipelineConfig {
  std::string file;
  std::vector<CameraConfig> cameras;
  std::vector<ModelConfig> models;
  OutputConfig output;
};

// Throws percept::Error "FILE:LINE: ..." on any problem with the file or its values.
PipelineConfig load_pipeline_config(const std::string& path);

}  // namespace percept
