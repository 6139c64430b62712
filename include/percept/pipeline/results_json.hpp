// The JSON of one model's results on one frame, shared by `percept infer --json` and the
// results JSONL (README "Using it", docs/TASKS.md). Keys per task, all in the frame's own
// pixels:
//   detect    "detections": [{"class_id", "label", "score", "box": [x1, y1, x2, y2], "distance"?}]
//   depth     "depth": {"min", "max", "mean", "unit": "m" | "relative", "map"?}
//   segment   "classes": [{"class_id", "label", "fraction"}] (classes present; fractions sum 1),
//             "mask"?
//   classify  "top": [{"class_id", "label", "score"}] (softmax, best first)
//   face      "faces": [{"score", "box": [x1, y1, x2, y2], "keypoints": [[x, y] x 6]}]
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "percept/core/json_writer.hpp"
#include "percept/tasks/task.hpp"

namespace percept {

// Writes the task's keys into the object `w` has open. `map` (written by `percept infer`) is
// the path of the depth map or class-id mask, added as depth.map or mask when not empty.
void write_results_json(JsonWriter& w, TaskKind kind, const TaskOutput& out,
                        const std::function<std::string(int)>& label_of, std::string_view map = {});

}  // namespace percept
