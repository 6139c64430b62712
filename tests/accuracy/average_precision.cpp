#include "average_precision.hpp"

#include <algorithm>

namespace percept::eval {

double average_precision(const std::vector<ImageResult>& images, int cls, double iou_thr) {
  struct Hit {
    float score;
    bool tp;
  };
  std::vector<Hit> hits;
  size_t positives = 0;
  for (const ImageResult& im : images) {
    std::vector<const GroundTruth*> gts;
    for (const auto& g : im.truth)
      if (g.class_id == cls) gts.push_back(&g);
    positives += gts.size();
    std::vector<const Detection*> dets;
    for (const auto& d : im.detections)
      if (d.class_id == cls) dets.push_back(&d);
    std::stable_sort(dets.begin(), dets.end(),
                     [](const Detection* a, const Detection* b) { return a->score > b->score; });
    std::vector<bool> used(gts.size(), false);
    for (const Detection* d : dets) {
      int best = -1;
      double best_iou = iou_thr;
      for (size_t k = 0; k < gts.size(); ++k) {
        if (used[k]) continue;
        const double o = iou(d->box, gts[k]->box);
        if (o >= best_iou) best_iou = o, best = static_cast<int>(k);
      }
      if (best >= 0) used[best] = true;
      hits.push_back({d->score, best >= 0});
    }
  }
  if (positives == 0) return -1;
  std::stable_sort(hits.begin(), hits.end(),
                   [](const Hit& a, const Hit& b) { return a.score > b.score; });
  std::vector<double> prec, rec;
  size_t tp = 0;
  for (size_t i = 0; i < hits.size(); ++i) {
    tp += hits[i].tp;
    prec.push_back(static_cast<double>(tp) / static_cast<double>(i + 1));
    rec.push_back(static_cast<double>(tp) / static_cast<double>(positives));
  }
  // Precision envelope, then the area under the recall steps.
  for (size_t i = prec.size(); i-- > 1;) prec[i - 1] = std::max(prec[i - 1], prec[i]);
  double ap = 0, last_rec = 0;
  for (size_t i = 0; i < rec.size(); ++i) {
    ap += (rec[i] - last_rec) * prec[i];
    last_rec = rec[i];
  }
  return ap;
}

double mean_average_precision(const std::vector<ImageResult>& images, int num_classes,
                              double iou_thr, std::vector<double>* per_class) {
  double sum = 0;
  int n = 0;
  if (per_class) per_class->assign(num_classes, -1);
  for (int c = 0; c < num_classes; ++c) {
    const double ap = average_precision(images, c, iou_thr);
    if (per_class) (*per_class)[c] = ap;
    if (ap >= 0) sum += ap, ++n;
  }
  return n ? sum / n : 0;
}

}  // namespace percept::eval
