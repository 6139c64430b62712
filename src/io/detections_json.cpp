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

void write_detections_json(JsonWriter& w, const Detections& dets,
                           const std::function<std::string(int)>& label_of) {
  w.begin_array();
  for (const Detection& d : dets) {
    w.begin_object()
        .field("class_id", d.class_id)
        .field("label", label_of(d.class_id))
        .field("score", round4(d.score));
    w.key("box").begin_array();
    w.value(round2(d.box.x1)).value(round2(d.box.y1)).value(round2(d.box.x2));
    w.value(round2(d.box.y2)).end_array();
    // Set by the fuser when a depth model serves the same camera.
    if (d.distance != Detection::kNoDistance) w.field("distance", round2(d.distance));
    w.end_object();
  }
  w.end_array();
}

}  // namespace percept
