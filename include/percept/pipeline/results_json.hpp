// The JSON of one model's results on one frame, shared by `percept infer --json` and the
// results JSONL (docs/OUTPUTS.md). Keys per task, all in the frame's own pixels:
//   detect    "detections": [{"class_id", "label", "score", "box": [x1, y1, x2, y2], "distance"?}]
//   depth     "depth": {"min", "max", "mean", "unit": "m" | "relative"}
//   segment   "classes": [{"class_id", "label", "fraction"}] (classes present; fractions sum 1)
//   classify  "top": [{"class_id", "label", "score"}] (softmax, best first)
//   face      "faces": [{"score", "box": [x1, y1, x2, y2], "keypoints": [[x, y] x 6]}]
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <string>

#include "percept/tasks/task.hpp"

namespace percept {

void add_results_json(nlohmann::ordered_json& j, TaskKind kind, const TaskOutput& out,
                      const std::function<std::string(int)>& label_of);

}  // namespace percept
