#include "percept/core/detection.hpp"

#include "percept/core/box_math.hpp"

namespace percept {

float iou(const Box& a, const Box& b) {
  return iou_xyxy(a.x1, a.y1, a.x2, a.y2, b.x1, b.y1, b.x2, b.y2);
}

}  // namespace percept
