#include "percept/io/detections_json.hpp"

#include <cmath>

namespace percept {

namespace {
// Two decimals are finer than any detector's precision and keep JSONL files small.
double round2(float v) {
  return std::round(static_cast<double>(v) * 100.0) / 100.0;
}
double round4(float v) {
  return std::round(static_cast<double>(v) * 1e4) / 1e4;
}
}  // namespace

nlohmann::ordered_json detections_json(const Detections& dets,
                                       const std::function<std::string(int)>& label_of) {
  nlohmann::ordered_json arr = nlohmann::ordered_json::array();
  for (const Detection& d : dets) {
    arr.push_back(
        {{"class_id", d.class_id},
         {"label", label_of(d.class_id)},
         {"score", round4(d.score)},
         {"box", {round2(d.box.x1), round2(d.box.y1), round2(d.box.x2), round2(d.box.y2)}}});
    // Set by the fuser when a depth model serves the same camera.
    if (d.distance != Detection::kNoDistance) arr.back()["distance"] = round2(d.distance);
  }
  return arr;
}

}  // namespace percept
