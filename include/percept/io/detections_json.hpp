// The JSON shape of detections, shared by `percept infer --json` and the results JSONL:
// {"class_id": int, "label": str, "score": float, "box": [x1, y1, x2, y2]} in frame pixels,
// plus "distance" (the depth model's unit) when the fuser set one.
#pragma once

#include <functional>
#include <string>

#include "percept/core/detection.hpp"
#include "percept/core/json_writer.hpp"

namespace percept {

// Writes the array of `dets` as the next value of `w`.
void write_detections_json(JsonWriter& w, const Detections& dets,
                           const std::function<std::string(int)>& label_of);

}  // namespace percept
