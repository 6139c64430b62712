#include "quantize_eval.hpp"

#include <algorithm>
#include <cmath>

#include "percept/core/detection.hpp"

namespace percept::cli {

void AgreementMeter::add(const ModelOutput& ref, const ModelOutput& q) {
  ++frames_;
  if (task_ == "detect") {
    // Greedy one-to-one matching, the quantized detections in score order (as mAP tools do).
    std::vector<size_t> order(q.detections.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::sort(order.begin(), order.end(),
              [&](size_t a, size_t b) { return q.detections[a].score > q.detections[b].score; });
    std::vector<char> used(ref.detections.size(), 0);
    for (size_t i : order) {
      const Detection& d = q.detections[i];
      int best = -1;
      float best_iou = 0.5f;
      for (size_t j = 0; j < ref.detections.size(); ++j) {
        if (used[j] || ref.detections[j].class_id != d.class_id) continue;
        const float overlap = iou(ref.detections[j].box, d.box);
        if (overlap >= best_iou) best_iou = overlap, best = static_cast<int>(j);
      }
      if (best >= 0) used[best] = 1, ++tp_;
    }
    ref_n_ += static_cast<int64_t>(ref.detections.size());
    q_n_ += static_cast<int64_t>(q.detections.size());
  } else if (task_ == "classify") {
    if (!ref.classes.empty() && !q.classes.empty())
      same_top1_ += ref.classes[0].class_id == q.classes[0].class_id;
  } else if (task_ == "depth") {
    const auto& a = ref.depth.values;
    const auto& b = q.depth.values;
    for (size_t i = 0; i < std::min(a.size(), b.size()); ++i) {
      if (!std::isfinite(a[i]) || !std::isfinite(b[i]) || std::abs(a[i]) < 1e-6f) continue;
      abs_rel_sum_ += std::abs(b[i] - a[i]) / std::abs(a[i]);
      ++pixels_;
    }
  } else if (task_ == "segment") {
    const auto& a = ref.segmentation.classes;
    const auto& b = q.segmentation.classes;
    for (size_t i = 0; i < std::min(a.size(), b.size()); ++i) {
      ++pixels_;
      if (a[i] == b[i]) {
        ++inter_[a[i]];
        ++uni_[a[i]];
      } else {
        ++uni_[a[i]];
        ++uni_[b[i]];
      }
    }
  }
}

Agreement AgreementMeter::result() const {
  Agreement r;
  if (task_ == "detect") {
    r.metric = "detection F1";
    r.compared = ref_n_;
    if (ref_n_ + q_n_ == 0) {
      r.note = "neither model found a detection on these frames: compare the outputs' SQNR";
    } else {
      r.value = 2.0 * static_cast<double>(tp_) / static_cast<double>(ref_n_ + q_n_);
    }
  } else if (task_ == "classify") {
    r.metric = "top-1 agreement";
    r.compared = frames_;
    if (frames_ > 0) r.value = static_cast<double>(same_top1_) / static_cast<double>(frames_);
  } else if (task_ == "depth") {
    r.metric = "1 - AbsRel";
    r.compared = pixels_;
    if (pixels_ > 0) r.abs_rel = abs_rel_sum_ / static_cast<double>(pixels_);
    r.value = std::max(0.0, 1.0 - r.abs_rel);
  } else if (task_ == "segment") {
    r.metric = "mIoU";
    r.compared = pixels_;
    double sum = 0;
    int n = 0;
    for (const auto& [c, u] : uni_) {
      auto it = inter_.find(c);
      sum += static_cast<double>(it == inter_.end() ? 0 : it->second) / static_cast<double>(u);
      ++n;
    }
    if (n > 0) r.value = sum / n;
  } else {
    r.metric = "none";
    r.note = "no result-level comparison for task '" + task_ + "': compare the outputs' SQNR";
  }
  return r;
}

void Sqnr::add(const float* reference, const float* quantized, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    if (!std::isfinite(reference[i]) || !std::isfinite(quantized[i])) continue;
    const double x = reference[i], d = x - quantized[i];
    signal_ += x * x;
    noise_ += d * d;
  }
}

double Sqnr::db() const {
  if (noise_ <= 0) return 200;
  if (signal_ <= 0) return -200;
  return std::min(200.0, 10 * std::log10(signal_ / noise_));
}

}  // namespace percept::cli
