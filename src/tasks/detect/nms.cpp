#include "percept/tasks/detect/nms.hpp"

#include <algorithm>

namespace percept {

void nms_inplace(Detections& dets, const NmsOptions& opt) {
  std::stable_sort(dets.begin(), dets.end(),
                   [](const Detection& a, const Detection& b) { return a.score > b.score; });
  // Kept boxes are compacted to the front: [0, kept) survive, the rest is still to test.
  size_t kept = 0;
  const size_t max_keep = opt.max_detections > 0 ? static_cast<size_t>(opt.max_detections) : 0;
  for (size_t i = 0; i < dets.size() && kept < max_keep; ++i) {
    const Detection& d = dets[i];
    bool suppressed = false;
    for (size_t k = 0; k < kept; ++k) {
      if (!opt.class_agnostic && dets[k].class_id != d.class_id) continue;
      if (iou(dets[k].box, d.box) > opt.iou_threshold) {
        suppressed = true;
        break;
      }
    }
    if (!suppressed) dets[kept++] = d;
  }
  dets.resize(kept);
}

}  // namespace percept
