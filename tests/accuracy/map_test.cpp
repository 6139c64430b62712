// The trained test model (models/shapes_yolov8.onnx, tools/train_detector.py) through the C++
// detect path reaches mAP@0.5 >= 0.90 on 200 freshly generated validation images (seed 12345,
// a seed training never used), scored against the generator's exact boxes.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "average_precision.hpp"
#include "percept/io/image_io.hpp"
#include "percept/tasks/task.hpp"
#include "task_metrics.hpp"

namespace percept {
namespace {

using eval::GroundTruth;
using eval::ImageResult;

TEST(AveragePrecision, HandComputed) {
  ImageResult im;
  im.truth = {{{0, 0, 10, 10}, 0}, {{20, 0, 30, 10}, 0}};
  im.detections = {{{0, 0, 10, 10}, 0.9f, 0}, {{20, 0, 30, 10}, 0.8f, 0}};
  EXPECT_DOUBLE_EQ(eval::average_precision({im}, 0, 0.5), 1.0);
  // A false positive ranked first: precision 0, 1/2, 2/3 at recall 0, .5, 1 -> envelope 2/3.
  im.detections.push_back({{50, 50, 60, 60}, 0.95f, 0});
  EXPECT_NEAR(eval::average_precision({im}, 0, 0.5), 2.0 / 3.0, 1e-12);
  // Only one of two objects found: AP 0.5. A duplicate of it is a false positive.
  im.detections = {{{0, 0, 10, 10}, 0.9f, 0}, {{0, 0, 10, 10}, 0.8f, 0}};
  EXPECT_DOUBLE_EQ(eval::average_precision({im}, 0, 0.5), 0.5);
  // Wrong class and no ground truth.
  im.detections = {{{0, 0, 10, 10}, 0.9f, 1}};
  EXPECT_DOUBLE_EQ(eval::average_precision({im}, 0, 0.5), 0.0);
  EXPECT_DOUBLE_EQ(eval::average_precision({im}, 1, 0.5), -1.0);
}

TEST(TrainedModel, MapOnFreshValidationSet) {
  const std::string model = std::string(PERCEPT_MODELS) + "/shapes_yolov8.onnx";
  const std::string val = std::string(PERCEPT_BUILD_DIR) + "/testdata/shapes_val";
  ASSERT_TRUE(std::filesystem::exists(model)) << model;
  std::ifstream f(val + "/labels.json");
  ASSERT_TRUE(f.good()) << "validation set missing: " << val << " (ctest fixture)";
  const auto labels = nlohmann::json::parse(f);

  TaskConfig cfg;
  cfg.model_path = model;
  cfg.conf = 0.001f;  // the whole precision-recall curve, as mAP tools do
  cfg.iou = 0.6f;
  auto det = open_task(cfg);
  ASSERT_EQ(det->name(), "detect");
  const int nc = static_cast<int>(det->labels().size());
  ASSERT_EQ(nc, static_cast<int>(labels["classes"].size()));
  for (int c = 0; c < nc; ++c) EXPECT_EQ(det->label(c), labels["classes"][c]);

  std::vector<double> per_class;
  const double map50 = eval::detector_map50(model, val, &per_class);
  for (int c = 0; c < nc; ++c)
    std::printf("AP50 %-10s %.4f\n", det->label(c).c_str(), per_class[c]);
  std::printf("mAP@0.5 %.4f over %zu images\n", map50, labels["images"].size());
  ASSERT_GE(labels["images"].size(), 200u);
  EXPECT_GE(map50, 0.90);
}

}  // namespace
}  // namespace percept
