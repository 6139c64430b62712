// Average precision from scored matches (each detection: its score and whether it matched a
// ground truth), for metrics whose matching is not box IoU (mask IoU, keypoint OKS).
#pragma once

#include <algorithm>
#include <cstddef>
#include <vector>

namespace percept {

struct Scored {
  float score;
  bool tp;
};

// All-point interpolated AP of one class from its detections (any order) and truth count.
inline double average_precision(std::vector<Scored> d, size_t truths) {
  if (truths == 0) return -1;
  std::stable_sort(d.begin(), d.end(),
                   [](const Scored& a, const Scored& b) { return a.score > b.score; });
  std::vector<double> prec, rec;
  size_t tp = 0;
  for (size_t i = 0; i < d.size(); ++i) {
    tp += d[i].tp;
    prec.push_back(static_cast<double>(tp) / static_cast<double>(i + 1));
    rec.push_back(static_cast<double>(tp) / static_cast<double>(truths));
  }
  for (size_t i = prec.size(); i-- > 1;) prec[i - 1] = std::max(prec[i - 1], prec[i]);
  double ap = 0, last = 0;
  for (size_t i = 0; i < prec.size(); ++i) {
    ap += (rec[i] - last) * prec[i];
    last = rec[i];
  }
  return ap;
}

}  // namespace percept
