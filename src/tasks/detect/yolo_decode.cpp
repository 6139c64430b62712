#include "percept/tasks/detect/yolo_decode.hpp"

#include <algorithm>

#include "percept/core/simd.hpp"
#include "percept/tasks/detect/yolo_decode_math.hpp"

namespace percept {

namespace {

// best[i] = max over classes, cls[i] = its class, for N anchors of a class-major tensor.
// Whole-row sweeps keep memory access contiguous and vectorise (8 anchors per instruction in
// the AVX2 clone), instead of a strided 84-float gather per anchor (transpose + minMaxLoc).
PERCEPT_VECTOR_CLONES
void class_max(const float* scores, int nc, int n, float* best, int32_t* cls) {
  for (int i = 0; i < n; ++i) {
    best[i] = scores[i];
    cls[i] = 0;
  }
  for (int c = 1; c < nc; ++c) {
    const float* row = scores + static_cast<size_t>(c) * n;
    for (int i = 0; i < n; ++i) {
      const bool gt = row[i] > best[i];
      best[i] = gt ? row[i] : best[i];
      cls[i] = gt ? c : cls[i];
    }
  }
}

inline void push(Detections& out, std::vector<uint32_t>& anchor, const DecodedBox& b, uint32_t i) {
  out.push_back({{b.x1, b.y1, b.x2, b.y2}, b.score, b.class_id});
  anchor.push_back(i);
}

}  // namespace

void YoloDecoder::decode_v8(const float* p, int nc, int n, float conf, Detections& out) {
  best_.resize(n);
  best_class_.resize(n);
  float* best = best_.data();
  int32_t* cls = best_class_.data();
  class_max(p + 4 * static_cast<size_t>(n), nc, n, best, cls);
  const float* cx = p;
  const float* cy = p + n;
  const float* w = p + 2 * static_cast<size_t>(n);
  const float* h = p + 3 * static_cast<size_t>(n);
  DecodedBox b;
  for (int i = 0; i < n; ++i) {
    if (!(best[i] > conf)) continue;  // also rejects NaN
    if (make_box(cx[i], cy[i], w[i], h[i], best[i], cls[i], &b))
      push(out, anchor_, b, static_cast<uint32_t>(i));
  }
}

void YoloDecoder::decode_v5(const float* p, int nc, int n, float conf, Detections& out) {
  const size_t stride = 5 + static_cast<size_t>(nc);
  DecodedBox b;
  for (int i = 0; i < n; ++i)
    if (decode_v5_anchor(p + static_cast<size_t>(i) * stride, nc, conf, &b))
      push(out, anchor_, b, static_cast<uint32_t>(i));
}

void YoloDecoder::candidates(const float* image, const LayoutInfo& info, const DecodeOptions& opt,
                             Detections& out) {
  out.clear();
  anchor_.clear();
  switch (info.layout) {
    case YoloLayout::v8:
      decode_v8(image, info.num_classes, info.num_boxes, opt.conf_threshold, out);
      break;
    case YoloLayout::v5:
      decode_v5(image, info.num_classes, info.num_boxes, opt.conf_threshold, out);
      break;
    case YoloLayout::end2end:
      // NMS already ran inside the graph: keep rows above the threshold, in the model's order.
      for (int i = 0; i < info.num_boxes; ++i) {
        DecodedBox b;
        if (!decode_e2e_row(image + static_cast<size_t>(i) * 6, opt.conf_threshold, &b)) continue;
        push(out, anchor_, b, static_cast<uint32_t>(i));
        if (static_cast<int>(out.size()) == opt.nms.max_detections) break;
      }
      return;
  }
}

void YoloDecoder::decode(const float* image, const LayoutInfo& info, const DecodeOptions& opt,
                         Detections& out) {
  candidates(image, info, opt, out);
  if (info.layout == YoloLayout::end2end) return;
  if (static_cast<int>(out.size()) > opt.max_candidates) {
    std::nth_element(out.begin(), out.begin() + opt.max_candidates, out.end(),
                     [](const Detection& a, const Detection& b) { return a.score > b.score; });
    out.resize(opt.max_candidates);
  }
  nms_inplace(out, opt.nms, nms_);
}

void YoloDecoder::decode(const float* image, const LayoutInfo& info, const DecodeOptions& opt,
                         Detections& out, std::vector<uint32_t>& anchors) {
  candidates(image, info, opt, out);
  if (info.layout == YoloLayout::end2end) {
    anchors.assign(anchor_.begin(), anchor_.end());
    return;
  }
  // Candidates enter NMS in push (anchor) order, as in decode(); only the cap on their number
  // picks by score, through an index so that the anchors follow.
  order_.resize(out.size());
  for (uint32_t i = 0; i < order_.size(); ++i) order_[i] = i;
  if (static_cast<int>(out.size()) > opt.max_candidates) {
    std::nth_element(order_.begin(), order_.begin() + opt.max_candidates, order_.end(),
                     [&](uint32_t a, uint32_t b) { return out[a].score > out[b].score; });
    order_.resize(opt.max_candidates);
    std::sort(order_.begin(), order_.end());
    Detections& tmp = nms_.kept;
    tmp.clear();
    anchor_kept_.clear();
    for (uint32_t i : order_) {
      tmp.push_back(out[i]);
      anchor_kept_.push_back(anchor_[i]);
    }
    out.swap(tmp);
    anchor_.swap(anchor_kept_);
  }
  nms_keep(out, opt.nms, nms_, nms_.keep);
  Detections& kept = nms_.kept;
  kept.clear();
  anchors.clear();
  for (uint32_t i : nms_.keep) {
    kept.push_back(out[i]);
    anchors.push_back(anchor_[i]);
  }
  out.swap(kept);
}

}  // namespace percept
