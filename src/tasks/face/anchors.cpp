#include "percept/tasks/face/anchors.hpp"

#include <cmath>
#include <string>

#include "percept/core/error.hpp"

namespace percept {

namespace {

// MediaPipe's CalculateScale: scales spread linearly from min to max over the layers.
float layer_scale(float min_scale, float max_scale, size_t layer, size_t num_layers) {
  if (num_layers == 1) return (min_scale + max_scale) * 0.5f;
  return min_scale +
         (max_scale - min_scale) * static_cast<float>(layer) / static_cast<float>(num_layers - 1);
}

}  // namespace

SsdAnchorOptions blazeface_front_anchor_options() {
  SsdAnchorOptions o;
  o.input_width = o.input_height = 128;
  o.strides = {8, 16, 16, 16};
  return o;
}

SsdAnchorOptions blazeface_back_anchor_options() {
  SsdAnchorOptions o;
  o.input_width = o.input_height = 256;
  o.strides = {16, 32, 32, 32};
  return o;
}

std::vector<Anchor> generate_ssd_anchors(const SsdAnchorOptions& o) {
  if (o.strides.empty()) throw Error("SSD anchors: no strides (one per layer)");
  if (o.input_width <= 0 || o.input_height <= 0)
    throw Error("SSD anchors: input size " + std::to_string(o.input_width) + "x" +
                std::to_string(o.input_height) + " is empty");
  const size_t num_layers = o.strides.size();
  std::vector<Anchor> anchors;
  size_t layer = 0;
  while (layer < num_layers) {
    std::vector<float> heights, widths, ratios, scales;
    // Every following layer with the same stride shares this feature map.
    size_t last = layer;
    while (last < num_layers && o.strides[last] == o.strides[layer]) {
      const float scale = layer_scale(o.min_scale, o.max_scale, last, num_layers);
      if (last == 0 && o.reduce_boxes_in_lowest_layer) {
        ratios.insert(ratios.end(), {1.0f, 2.0f, 0.5f});
        scales.insert(scales.end(), {0.1f, scale, scale});
      } else {
        for (float r : o.aspect_ratios) {
          ratios.push_back(r);
          scales.push_back(scale);
        }
        if (o.interpolated_scale_aspect_ratio > 0.f) {
          const float next = last == num_layers - 1
                                 ? 1.0f
                                 : layer_scale(o.min_scale, o.max_scale, last + 1, num_layers);
          scales.push_back(std::sqrt(scale * next));
          ratios.push_back(o.interpolated_scale_aspect_ratio);
        }
      }
      ++last;
    }
    for (size_t i = 0; i < ratios.size(); ++i) {
      const float r = std::sqrt(ratios[i]);
      heights.push_back(scales[i] / r);
      widths.push_back(scales[i] * r);
    }
    const int stride = o.strides[layer];
    const int rows = (o.input_height + stride - 1) / stride;  // ceil, as MediaPipe
    const int cols = (o.input_width + stride - 1) / stride;
    for (int y = 0; y < rows; ++y) {
      for (int x = 0; x < cols; ++x) {
        for (size_t a = 0; a < heights.size(); ++a) {
          Anchor an;
          an.x_center = (static_cast<float>(x) + o.anchor_offset_x) / static_cast<float>(cols);
          an.y_center = (static_cast<float>(y) + o.anchor_offset_y) / static_cast<float>(rows);
          if (!o.fixed_anchor_size) {
            an.w = widths[a];
            an.h = heights[a];
          }
          anchors.push_back(an);
        }
      }
    }
    layer = last;
  }
  return anchors;
}

}  // namespace percept
