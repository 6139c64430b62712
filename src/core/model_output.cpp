#include "percept/core/model_output.hpp"

#include <algorithm>
#include <cmath>

namespace percept {

void ModelOutput::clear() {
  contents = Content::none;
  detections.clear();
  depth.values.clear();
  depth.width = depth.height = 0;
  segmentation.classes.clear();
  segmentation.fractions.clear();
  segmentation.width = segmentation.height = 0;
  classes.clear();
  faces.clear();
  masks.clear();
  keypoints.clear();
}

void ModelOutput::retain_detections(const std::vector<uint8_t>& keep) {
  // Masks are compacted with their detections; their bytes stay where they are.
  const bool with_masks = masks.items.size() == detections.size();
  const bool with_points =
      keypoints.per_detection > 0 && keypoints.detections() == detections.size();
  const size_t k = static_cast<size_t>(keypoints.per_detection);
  size_t out = 0;
  for (size_t i = 0; i < detections.size() && i < keep.size(); ++i) {
    if (!keep[i]) continue;
    if (out != i) {
      detections[out] = detections[i];
      if (with_masks) masks.items[out] = masks.items[i];
      if (with_points)
        for (size_t j = 0; j < k; ++j) keypoints.points[out * k + j] = keypoints.points[i * k + j];
    }
    ++out;
  }
  detections.resize(out);
  if (with_masks) masks.items.resize(out);
  if (with_points) keypoints.points.resize(out * k);
}

void paint_instance_map(const InstanceMasks& masks, int width, int height, uint16_t* out) {
  std::fill(out, out + static_cast<size_t>(width) * height, uint16_t{0});
  const size_t n = std::min<size_t>(masks.items.size(), 65535);
  for (size_t i = n; i-- > 0;) {  // last first, so that earlier masks overwrite later ones
    const InstanceMask& m = masks.items[i];
    for (int y = std::max(m.y, 0); y < std::min(m.y + m.height, height); ++y) {
      const uint8_t* bits = masks.pixels.data() + m.offset + static_cast<size_t>(y - m.y) * m.width;
      uint16_t* row = out + static_cast<size_t>(y) * width;
      for (int x = std::max(m.x, 0); x < std::min(m.x + m.width, width); ++x)
        if (bits[x - m.x]) row[x] = static_cast<uint16_t>(i + 1);
    }
  }
}

std::string label_of(const std::vector<std::string>& labels, int class_id) {
  if (class_id >= 0 && class_id < static_cast<int>(labels.size())) return labels[class_id];
  return "class_" + std::to_string(class_id);
}

const char* depth_unit_name(DepthUnit u) {
  return u == DepthUnit::metres ? "m" : "relative";
}

DepthStats depth_stats(const DepthMap& d) {
  DepthStats s;
  double sum = 0;
  bool first = true;
  for (float v : d.values) {
    if (!std::isfinite(v)) continue;
    if (first || v < s.min) s.min = v;
    if (first || v > s.max) s.max = v;
    first = false;
    sum += v;
    ++s.valid;
  }
  if (s.valid) s.mean = static_cast<float>(sum / static_cast<double>(s.valid));
  return s;
}

}  // namespace percept
