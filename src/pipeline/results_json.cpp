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
nlohmann::ordered_json box_json(const Box& b) {
  return {round2(b.x1), round2(b.y1), round2(b.x2), round2(b.y2)};
}
}  // namespace

void add_results_json(nlohmann::ordered_json& j, TaskKind kind, const TaskOutput& out,
                      const std::function<std::string(int)>& label_of) {
  switch (kind) {
    case TaskKind::detect:
      j["detections"] = detections_json(out.detections, label_of);
      break;
    case TaskKind::depth: {
      const DepthStats s = depth_stats(out.depth);
      // Relative depth has no unit and a model-dependent range: keep more digits.
      j["depth"] = {{"min", round4(s.min)},
                    {"max", round4(s.max)},
                    {"mean", round4(s.mean)},
                    {"unit", depth_unit_name(out.depth.unit)}};
      break;
    }
    case TaskKind::segment: {
      auto arr = nlohmann::ordered_json::array();
      const auto& f = out.segmentation.fractions;
      for (size_t c = 0; c < f.size(); ++c)
        if (f[c] > 0.f)
          arr.push_back({{"class_id", static_cast<int>(c)},
                         {"label", label_of(static_cast<int>(c))},
                         {"fraction", round4(f[c])}});
      j["classes"] = std::move(arr);
      break;
    }
    case TaskKind::classify: {
      auto arr = nlohmann::ordered_json::array();
      for (const ClassScore& s : out.top)
        arr.push_back({{"class_id", s.class_id},
                       {"label", label_of(s.class_id)},
                       {"score", round4(s.score)}});
      j["top"] = std::move(arr);
      break;
    }
    case TaskKind::face: {
      auto arr = nlohmann::ordered_json::array();
      for (const Face& f : out.faces) {
        auto kps = nlohmann::ordered_json::array();
        for (const auto& k : f.keypoints) kps.push_back({round2(k[0]), round2(k[1])});
        arr.push_back({{"score", round4(f.score)}, {"box", box_json(f.box)}, {"keypoints", kps}});
      }
      j["faces"] = std::move(arr);
      break;
    }
  }
}

}  // namespace percept
