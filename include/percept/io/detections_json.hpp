// The JSON shape of detections, shared by `percept infer --json` and the results JSONL:
// {"class_id": int, "label": str, "score": float, "box": [x1, y1, x2, y2]} in frame pixels,
// plus "distance" (the depth model's unit) when the fuser set one.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <string>

#include "percept/core/detection.hpp"

namespace percept {

nlohmann::ordered_json detections_json(const Detections& dets,
                                       const std::function<std::string(int)>& label_of);

}  // namespace percept
