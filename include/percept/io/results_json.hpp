// The JSON of one model's results on one frame, shared by `percept infer --json` and the
// results JSONL (README "Using it", docs/TASKS.md). One key per kind of result the output
// contains (ModelOutput::contents), all in the frame's own pixels:
//   detections    "detections": [{"class_id", "label", "score", "box": [x1, y1, x2, y2],
//                 "distance"?}]
//   depth         "depth": {"min", "max", "mean", "unit": "m" | "relative", "map"?}
//   segmentation  "classes": [{"class_id", "label", "fraction"}] (classes present; fractions
//                 sum 1), "mask"?
//   classes       "top": [{"class_id", "label", "score"}] (softmax, best first)
//   faces         "faces": [{"score", "box": [x1, y1, x2, y2], "keypoints": [[x, y] x 6]}]
//   masks         each detection also gets "mask": {"area": <pixels>, "polygon": [[x, y], ...]},
//                 the outline of its largest connected part (pixel centres, frame pixels;
//                 [] when the mask is empty); "masks"? names the 16-bit instance-map PNG
//                 (`percept infer --out-dir`)
//   keypoints     each detection also gets "keypoints": [[x, y, v], ...] (frame pixels,
//                 visibility 0..1; 1 when the model gives none)
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "percept/core/json_writer.hpp"
#include "percept/core/model_output.hpp"

namespace percept {

// Files `percept infer` wrote beside the results, added as depth.map and mask when not empty.
struct MapFiles {
  std::string_view depth;
  std::string_view mask;
  std::string_view masks;  // the instance map
};

// Writes the array of `dets` as the next value of `w`; with `masks` (one item per detection),
// each detection gets its "mask".
void write_detections_json(JsonWriter& w, const Detections& dets,
                           const std::vector<std::string>& labels,
                           const InstanceMasks* masks = nullptr,
                           const DetectionKeypoints* keypoints = nullptr);

// Writes the output's keys into the object `w` has open; class names come from `labels`
// (label_of: "class_<id>" past its end).
void write_results_json(JsonWriter& w, const ModelOutput& out,
                        const std::vector<std::string>& labels, const MapFiles& files = {});

}  // namespace percept
