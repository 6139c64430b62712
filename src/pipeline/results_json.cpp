#include "percept/pipeline/results_json.hpp"

#include <cmath>

#include "percept/io/detections_json.hpp"

namespace percept {

namespace {
double round2(double v) {
  return std::round(v * 100.0) / 100.0;
}
double round4(double v) {
  return std::round(v * 1e4) / 1e4;
}
void box_json(JsonWriter& w, const Box& b) {
  w.begin_array().value(round2(b.x1)).value(round2(b.y1)).value(round2(b.x2));
  w.value(round2(b.y2)).end_array();
}
}  // namespace

void write_results_json(JsonWriter& w, TaskKind kind, const TaskOutput& out,
                        const std::function<std::string(int)>& label_of, std::string_view map) {
  switch (kind) {
    case TaskKind::detect:
      w.key("detections");
      write_detections_json(w, out.detections, label_of);
      break;
    case TaskKind::depth: {
      const DepthStats s = depth_stats(out.depth);
      // Relative depth has no unit and a model-dependent range: keep more digits.
      w.key("depth").begin_object();
      w.field("min", round4(s.min)).field("max", round4(s.max)).field("mean", round4(s.mean));
      w.field("unit", depth_unit_name(out.depth.unit));
      if (!map.empty()) w.field("map", map);
      w.end_object();
      break;
    }
    case TaskKind::segment: {
      w.key("classes").begin_array();
      const auto& f = out.segmentation.fractions;
      for (size_t c = 0; c < f.size(); ++c)
        if (f[c] > 0.f)
          w.begin_object()
              .field("class_id", static_cast<int>(c))
              .field("label", label_of(static_cast<int>(c)))
              .field("fraction", round4(f[c]))
              .end_object();
      w.end_array();
      if (!map.empty()) w.field("mask", map);
      break;
    }
    case TaskKind::classify: {
      w.key("top").begin_array();
      for (const ClassScore& s : out.top)
        w.begin_object()
            .field("class_id", s.class_id)
            .field("label", label_of(s.class_id))
            .field("score", round4(s.score))
            .end_object();
      w.end_array();
      break;
    }
    case TaskKind::face: {
      w.key("faces").begin_array();
      for (const Face& f : out.faces) {
        w.begin_object().field("score", round4(f.score));
        w.key("box");
        box_json(w, f.box);
        w.key("keypoints").begin_array();
        for (const auto& k : f.keypoints)
          w.begin_array().value(round2(k[0])).value(round2(k[1])).end_array();
        w.end_array().end_object();
      }
      w.end_array();
      break;
    }
  }
}

}  // namespace percept
