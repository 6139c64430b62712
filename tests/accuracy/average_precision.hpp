// Average precision at an IoU threshold, all-point interpolation (VOC2010+/COCO style), for
// scoring a detector against ground truth.
#pragma once

#include <vector>

#include "percept/core/detection.hpp"

namespace percept::eval {

struct GroundTruth {
  Box box;
  int class_id;
};

struct ImageResult {
  std::vector<GroundTruth> truth;
  Detections detections;
};

// AP of one class over all images: detections sorted by score, each matched greedily to the
// unmatched ground truth of the same class with the highest IoU >= iou_threshold.
// Returns -1 when the class has no ground truth.
double average_precision(const std::vector<ImageResult>& images, int class_id,
                         double iou_threshold);

// Mean of the per-class APs over classes that have ground truth; per_class gets each AP.
double mean_average_precision(const std::vector<ImageResult>& images, int num_classes,
                              double iou_threshold, std::vector<double>* per_class = nullptr);

}  // namespace percept::eval
