#include "quantize_eval.hpp"

#include <algorithm>
#include <cmath>

#include "percept/core/detection.hpp"
#include "percept/core/face.hpp"

namespace percept::cli {

namespace {

struct Scored {
  Box box;
  float score;
  int class_id;
};

std::vector<Scored> scored(const ModelOutput& o, bool faces) {
  std::vector<Scored> v;
  if (faces)
    for (const Face& f : o.faces) v.push_back({f.box, f.score, 0});
  else
    for (const Detection& d : o.detections) v.push_back({d.box, d.score, d.class_id});
  return v;
}

}  // namespace

bool AgreementMeter::boxes() const {
  return task_ == "detect" || task_ == "instance_segment" || task_ == "pose" || task_ == "face";
}

void AgreementMeter::add(const ModelOutput& ref, const ModelOutput& q) {
  ++frames_;
  if (boxes()) {
    // Greedy one-to-one matching, the quantized boxes in score order (as mAP tools do). The
    // instance masks and keypoints ride on their boxes: a moved box is a miss either way.
    const std::vector<Scored> r = scored(ref, task_ == "face");
    std::vector<Scored> qs = scored(q, task_ == "face");
    std::sort(qs.begin(), qs.end(),
              [](const Scored& x, const Scored& y) { return x.score > y.score; });
    std::vector<char> used(r.size(), 0);
    for (const Scored& d : qs) {
      int best = -1;
      float best_iou = 0.5f;
      for (size_t j = 0; j < r.size(); ++j) {
        if (used[j] || r[j].class_id != d.class_id) continue;
        const float overlap = iou(r[j].box, d.box);
        if (overlap >= best_iou) best_iou = overlap, best = static_cast<int>(j);
      }
      if (best >= 0) used[best] = 1, ++tp_;
    }
    ref_n_ += static_cast<int64_t>(r.size());
    q_n_ += static_cast<int64_t>(qs.size());
  } else if (task_ == "classify") {
    if (!ref.classes.empty() && !q.classes.empty())
      same_top1_ += ref.classes[0].class_id == q.classes[0].class_id;
  } else if (task_ == "depth") {
    const auto& a = ref.depth.values;
    const auto& b = q.depth.values;
    for (size_t i = 0; i < std::min(a.size(), b.size()); ++i) {
      if (!std::isfinite(a[i]) || std::abs(a[i]) < 1e-6f) continue;
      // A pixel the float model measures and the int8 one does not is wholly wrong.
      abs_rel_sum_ += std::isfinite(b[i]) ? std::abs(b[i] - a[i]) / std::abs(a[i]) : 1.0;
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
  if (boxes()) {
    r.metric = task_ == "face" ? "face F1" : "detection F1";
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
    if (!std::isfinite(reference[i])) continue;
    if (!std::isfinite(quantized[i])) {
      ++broken_;  // finite in float, not in int8: no ratio describes that
      continue;
    }
    const double x = reference[i], d = x - quantized[i];
    signal_ += x * x;
    noise_ += d * d;
  }
}

double Sqnr::db() const {
  if (broken_ > 0) return -200;
  if (noise_ <= 0) return 200;
  if (signal_ <= 0) return -200;
  return std::min(200.0, 10 * std::log10(signal_ / noise_));
}

}  // namespace percept::cli
