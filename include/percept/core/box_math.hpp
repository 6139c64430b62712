// Intersection over union of two x1 y1 x2 y2 boxes, shared by the CPU NMS (core iou()) and
// the CUDA NMS kernel, so that both suppress exactly the same pairs: a box sitting right at
// the IoU threshold must not be kept by one and dropped by the other.
#pragma once

#include "percept/core/hd.hpp"

namespace percept {

// Area of an x1 y1 x2 y2 box; an empty or inside-out box has none (Box::area()).
PERCEPT_HD inline float box_area(float x1, float y1, float x2, float y2) {
  const float w = x2 - x1, h = y2 - y1;
  return w > 0 && h > 0 ? w * h : 0.f;
}

// 0 for disjoint boxes and for two empty ones (no 0/0).
PERCEPT_HD inline float iou_xyxy(float ax1, float ay1, float ax2, float ay2, float bx1, float by1,
                                 float bx2, float by2) {
  // std::min / std::max spelled out (they are not __device__), with their exact choice.
  const float iw = (bx2 < ax2 ? bx2 : ax2) - (ax1 < bx1 ? bx1 : ax1);
  const float ih = (by2 < ay2 ? by2 : ay2) - (ay1 < by1 ? by1 : ay1);
  if (iw <= 0 || ih <= 0) return 0.f;
  const float inter = iw * ih;
  const float uni = box_area(ax1, ay1, ax2, ay2) + box_area(bx1, by1, bx2, by2) - inter;
  return uni > 0 ? inter / uni : 0.f;
}

}  // namespace percept
