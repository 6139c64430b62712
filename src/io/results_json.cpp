#include "percept/io/results_json.hpp"

#include <array>
#include <cmath>
#include <opencv2/imgproc.hpp>

namespace percept {

namespace {
double round2(double v) {
  return std::round(v * 100.0) / 100.0;
}
double round4(double v) {
  return std::round(v * 1e4) / 1e4;
}
// Two decimals are finer than any detector's precision and keep JSONL files small.
void box_json(JsonWriter& w, const Box& b) {
  w.begin_array().value(round2(b.x1)).value(round2(b.y1)).value(round2(b.x2));
  w.value(round2(b.y2)).end_array();
}
template <size_t N>
void array_json(JsonWriter& w, const std::array<float, N>& v, double (*round)(double)) {
  w.begin_array();
  for (float x : v) w.value(round(x));
  w.end_array();
}

// What the tracker and the 3D fuser added (docs/TRACKING.md); absent when they did not run.
void track_json(JsonWriter& w, const Detection& d) {
  if (d.track_id > 0) {
    w.field("track_id", d.track_id);
    w.key("velocity_px_s");
    array_json(w, d.velocity_px_s, round2);
  }
  if (d.has_position) {
    w.key("position_m");
    array_json(w, d.position_m, round4);
    w.key("size_m");
    array_json(w, d.size_m, round4);
  }
  if (d.has_velocity_m_s) {
    w.key("velocity_m_s");
    array_json(w, d.velocity_m_s, round4);
  }
}
// "mask": {"area", "polygon"} of mask i: the outline of its largest part, simplified to within
// a pixel (a polygon with a point per boundary pixel would dominate the JSONL's size).
void mask_json(JsonWriter& w, const InstanceMasks& masks, size_t i) {
  const InstanceMask& m = masks.items[i];
  w.key("mask").begin_object().field("area", static_cast<int64_t>(m.area));
  w.key("polygon").begin_array();
  if (m.area > 0) {
    // findContours reads the bytes and does not write them (OpenCV >= 3.2).
    const cv::Mat bits(m.height, m.width, CV_8UC1,
                       const_cast<uint8_t*>(masks.pixels.data() + m.offset));
    std::vector<std::vector<cv::Point>> contours;
    cv::findContours(bits, contours, cv::RETR_EXTERNAL, cv::CHAIN_APPROX_SIMPLE);
    size_t best = 0;
    double best_area = -1;
    for (size_t c = 0; c < contours.size(); ++c) {
      const double a = cv::contourArea(contours[c]) + static_cast<double>(contours[c].size());
      if (a > best_area) {
        best_area = a;
        best = c;
      }
    }
    if (!contours.empty()) {
      std::vector<cv::Point> poly;
      cv::approxPolyDP(contours[best], poly, 1.0, true);
      for (const cv::Point& p : poly) w.begin_array().value(p.x + m.x).value(p.y + m.y).end_array();
    }
  }
  w.end_array().end_object();
}
// "keypoints": [[x, y, v], ...] of detection i.
void keypoints_json(JsonWriter& w, const DetectionKeypoints& k, size_t i) {
  w.key("keypoints").begin_array();
  for (const Keypoint& p : k.of(i))
    w.begin_array().value(round2(p.x)).value(round2(p.y)).value(round4(p.v)).end_array();
  w.end_array();
}
}  // namespace

void write_detections_json(JsonWriter& w, const Detections& dets,
                           const std::vector<std::string>& labels, const InstanceMasks* masks,
                           const DetectionKeypoints* keypoints) {
  w.begin_array();
  for (const Detection& d : dets) {
    w.begin_object()
        .field("class_id", d.class_id)
        .field("label", label_of(labels, d.class_id))
        .field("score", round4(d.score));
    w.key("box");
    box_json(w, d.box);
    // Set by the fuser when a depth model serves the same camera.
    if (d.distance != Detection::kNoDistance) w.field("distance", round2(d.distance));
    track_json(w, d);
    // Instance segmentation: the mask of this detection.
    if (masks && masks->items.size() == dets.size())
      mask_json(w, *masks, static_cast<size_t>(&d - dets.data()));
    // Pose: the keypoints of this detection.
    if (keypoints && keypoints->detections() == dets.size())
      keypoints_json(w, *keypoints, static_cast<size_t>(&d - dets.data()));
    w.end_object();
  }
  w.end_array();
}

void write_results_json(JsonWriter& w, const ModelOutput& out,
                        const std::vector<std::string>& labels, const MapFiles& files) {
  if (has(out.contents, Content::detections)) {
    w.key("detections");
    write_detections_json(w, out.detections, labels,
                          has(out.contents, Content::masks) ? &out.masks : nullptr,
                          has(out.contents, Content::keypoints) ? &out.keypoints : nullptr);
  }
  if (has(out.contents, Content::masks) && !files.masks.empty()) w.field("masks", files.masks);
  if (has(out.contents, Content::depth)) {
    const DepthStats s = depth_stats(out.depth);
    // Relative depth has no unit and a model-dependent range: keep more digits.
    w.key("depth").begin_object();
    w.field("min", round4(s.min)).field("max", round4(s.max)).field("mean", round4(s.mean));
    w.field("unit", depth_unit_name(out.depth.unit));
    if (!files.depth.empty()) w.field("map", files.depth);
    w.end_object();
  }
  if (has(out.contents, Content::segmentation)) {
    w.key("classes").begin_array();
    const auto& f = out.segmentation.fractions;
    for (size_t c = 0; c < f.size(); ++c)
      if (f[c] > 0.f)
        w.begin_object()
            .field("class_id", static_cast<int>(c))
            .field("label", label_of(labels, static_cast<int>(c)))
            .field("fraction", round4(f[c]))
            .end_object();
    w.end_array();
    if (!files.mask.empty()) w.field("mask", files.mask);
  }
  if (has(out.contents, Content::classes)) {
    w.key("top").begin_array();
    for (const ClassScore& s : out.classes)
      w.begin_object()
          .field("class_id", s.class_id)
          .field("label", label_of(labels, s.class_id))
          .field("score", round4(s.score))
          .end_object();
    w.end_array();
  }
  if (has(out.contents, Content::faces)) {
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
  }
}

}  // namespace percept
