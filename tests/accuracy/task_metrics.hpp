// The accuracy metrics of the trained test models on their generated validation sets, through
// a C++ task: shared by the float models' tests and the INT8 tests that compare against them.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "percept/tasks/task.hpp"

namespace percept::eval {

// The helpers the metrics use, for tests with metrics of their own: a generated set's
// labels.json (an error naming the ctest fixture when missing), a model opened through
// open_task, and one frame through Task::run (an error when it fails).
nlohmann::json read_labels(const std::string& dir);
OpenedTask open_model(const std::string& model, float conf = -1, float iou = -1);
ModelOutput run_frame(Task& task, const Image& img);

// mAP@0.5 of a detector over `dir` (tools/shapes_dataset.py layout: labels.json + images),
// at confidence 0.001 and NMS IoU 0.6 as mAP tools run. `per_class`: AP50 per class.
double detector_map50(const std::string& model, const std::string& dir,
                      std::vector<double>* per_class = nullptr);

// Depth AbsRel (mean |pred - gt| / gt per image, averaged over images): metric, and with each
// image's prediction scaled by median(gt) / median(pred) (tools/scene3d.py layout).
struct DepthScores {
  double metric = 0, scaled = 0;
  int images = 0;
};
DepthScores depth_abs_rel(const std::string& model, const std::string& dir);

// mIoU over the classes present (intersection and union summed over all images).
double segmentation_miou(const std::string& model, const std::string& dir, bool print = false);

// Top-1 accuracy (tools/classify_dataset.py layout).
double classification_top1(const std::string& model, const std::string& dir);

}  // namespace percept::eval
