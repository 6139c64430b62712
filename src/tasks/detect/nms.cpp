#include "percept/tasks/detect/nms.hpp"

#include <algorithm>
#include <numeric>

namespace percept {

void nms_keep(const Detections& dets, const NmsOptions& opt, NmsScratch& scratch,
              std::vector<uint32_t>& keep) {
  // Sorting indices by (score desc, index asc) is a stable sort that needs no temporary
  // buffer (std::stable_sort allocates one on every call).
  auto& order = scratch.order;
  order.resize(dets.size());
  std::iota(order.begin(), order.end(), 0u);
  std::sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) {
    return dets[a].score > dets[b].score || (dets[a].score == dets[b].score && a < b);
  });
  keep.clear();
  const size_t max_keep = opt.max_detections > 0 ? static_cast<size_t>(opt.max_detections) : 0;
  for (uint32_t i : order) {
    if (keep.size() >= max_keep) break;
    const Detection& d = dets[i];
    bool suppressed = false;
    for (uint32_t k : keep) {
      const Detection& kd = dets[k];
      if (!opt.class_agnostic && kd.class_id != d.class_id) continue;
      if (iou(kd.box, d.box) > opt.iou_threshold) {
        suppressed = true;
        break;
      }
    }
    if (!suppressed) keep.push_back(i);
  }
}

void nms_inplace(Detections& dets, const NmsOptions& opt, NmsScratch& scratch) {
  nms_keep(dets, opt, scratch, scratch.keep);
  Detections& kept = scratch.kept;
  kept.clear();
  for (uint32_t i : scratch.keep) kept.push_back(dets[i]);
  dets.swap(kept);  // both buffers keep their capacity for the next call
}

void nms_inplace(Detections& dets, const NmsOptions& opt) {
  NmsScratch scratch;
  nms_inplace(dets, opt, scratch);
}

}  // namespace percept
