// SSD anchors as MediaPipe's SsdAnchorsCalculator generates them (mediapipe/calculators/tflite/
// ssd_anchors_calculator.cc), for BlazeFace and other MediaPipe single-shot detectors.
//
// Layers that share a stride are merged into one feature map whose cells carry the anchors of
// all of them; anchors are ordered layer group by layer group, then row, column, anchor, which
// is the order of the model's regressor rows. Centres are normalised to [0, 1] of the input.
#pragma once

#include <vector>

namespace percept {

struct SsdAnchorOptions {
  int input_width = 0;
  int input_height = 0;
  float min_scale = 0.1484375f;
  float max_scale = 0.75f;
  float anchor_offset_x = 0.5f;  // cell centre
  float anchor_offset_y = 0.5f;
  std::vector<int> strides;  // one per layer (num_layers = strides.size())
  std::vector<float> aspect_ratios{1.0f};
  // > 0: one more anchor per layer at sqrt(scale * next scale) with this aspect ratio.
  float interpolated_scale_aspect_ratio = 1.0f;
  bool reduce_boxes_in_lowest_layer = false;
  // true: every anchor is 1 x 1, so the regressors carry the absolute box size (BlazeFace).
  bool fixed_anchor_size = true;
};

struct Anchor {
  float x_center = 0, y_center = 0;  // normalised to the input
  float w = 1, h = 1;                // normalised; 1 x 1 with fixed_anchor_size
};

// MediaPipe's face_detection_short_range (front, 128x128): 4 layers, strides 8, 16, 16, 16
// -> 16x16 cells x 2 anchors + 8x8 cells x 6 anchors = 896 anchors.
SsdAnchorOptions blazeface_front_anchor_options();
// MediaPipe's face_detection_back (256x256): strides 16, 32, 32, 32 -> also 896 anchors.
SsdAnchorOptions blazeface_back_anchor_options();

// Throws percept::Error on options MediaPipe rejects (no strides, empty input size).
std::vector<Anchor> generate_ssd_anchors(const SsdAnchorOptions& options);

}  // namespace percept
