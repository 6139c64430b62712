// The output layouts detectors are exported with, and how to tell them apart by shape.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "percept/core/error.hpp"

namespace percept {

enum class YoloLayout {
  v8,       // Ultralytics YOLOv8/v11/v12: [B, 4+nc, N], rows cx, cy, w, h, class scores
  v5,       // YOLOv5/v7: [B, N, 5+nc], columns cx, cy, w, h, objectness, class scores
  end2end,  // NMS inside the graph (YOLOv10, `nms=True` exports): [B, K, 6] x1 y1 x2 y2 score class
};

const char* layout_name(YoloLayout l);
// Parses "v8", "v5", "end2end" (and the aliases yolov8, yolo11, yolov5, yolov7, e2e, nms).
Result<YoloLayout> parse_layout(std::string_view s);

struct LayoutInfo {
  YoloLayout layout;
  int num_classes;  // 0 for end2end (class ids come from the tensor)
  int num_boxes;    // N anchors or K kept boxes
  // v8 only: channels after the class scores per anchor (segment: nm mask coefficients).
  int extra = 0;
};

// Decides the layout of a rank-3 output from its shape, using the class count from the
// model's metadata when known (num_classes_hint > 0) to settle ambiguous shapes. `forced`
// (from config) wins but is still checked against the shape. The error says what was found
// and which config key to set.
Result<LayoutInfo> detect_layout(std::span<const int64_t> shape, int num_classes_hint,
                                 std::optional<YoloLayout> forced);

// The v8 layout [B, 4+nc+extra, N] of a head with `extra` channels per anchor after the class
// scores (instance segmentation: the nm mask coefficients). The class count is what is left;
// when the metadata names classes (num_classes_hint > 0) it must agree.
Result<LayoutInfo> detect_layout_extra(std::span<const int64_t> shape, int num_classes_hint,
                                       int extra);

}  // namespace percept
