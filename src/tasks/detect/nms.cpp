#include "percept/tasks/detect/nms.hpp"

#include <algorithm>
#include <numeric>

namespace percept {

void nms_inplace(Detections& dets, const NmsOptions& opt, NmsScratch& scratch) {
  // Sorting indices by (score desc, index asc) is a stable sort that needs no temporary
  // buffer (std::stable_sort allocates one on every call).
  auto& order = scratch.order;
  order.resize(dets.size());
  std::iota(order.begin(), order.end(), 0u);
  std::sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) {
    return dets[a].score > dets[b].score || (dets[a].score == dets[b].score && a < b);
  });
  Detections& kept = scratch.kept;
  kept.clear();
  const size_t max_keep = opt.max_detections > 0 ? static_cast<size_t>(opt.max_detections) : 0;
  for (uint32_t i : order) {
    if (kept.size() >= max_keep) break;
    const Detection& d = dets[i];
    bool suppressed = false;
    for (const Detection& k : kept) {
      if (!opt.class_agnostic && k.class_id != d.class_id) continue;
      if (iou(k.box, d.box) > opt.iou_threshold) {
        suppressed = true;
        break;
      }
    }
    if (!suppressed) kept.push_back(d);
  }
  dets.swap(kept);  // both buffers keep their capacity for the next call
}

void nms_inplace(Detections& dets, const NmsOptions& opt) {
  NmsScratch scratch;
  nms_inplace(dets, opt, scratch);
}

}  // namespace percept
