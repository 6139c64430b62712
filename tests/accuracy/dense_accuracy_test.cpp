// Accuracy of the trained depth, segmentation and classification test models through the C++
// tasks (preprocess, ONNX Runtime, resampling to the frame), on validation sets generated
// fresh by the same procedural generators with seeds never used in training
// (tools/scene3d.py, tools/classify_dataset.py; models/README.md has how the models were made).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "percept/io/image_io.hpp"
#include "percept/io/pfm.hpp"
#include "percept/pipeline/fuser.hpp"
#include "percept/tasks/task.hpp"
#include "task_metrics.hpp"

namespace percept {
namespace {

const std::string kModels = PERCEPT_MODELS;
const std::string kSceneDir = std::string(PERCEPT_BUILD_DIR) + "/testdata/scene_val";
const std::string kClassifyDir = std::string(PERCEPT_BUILD_DIR) + "/testdata/classify_val";

// AbsRel = mean |pred - gt| / gt over valid pixels, per image, averaged over images; for
// relative models the prediction is first scaled by median(gt) / median(pred) per image.
TEST(DenseAccuracy, DepthAbsRelOnFreshScenes) {
  ASSERT_GE(eval::read_labels(kSceneDir)["images"].size(), 30u);
  const eval::DepthScores s = eval::depth_abs_rel(kModels + "/scene_depth.onnx", kSceneDir);
  RecordProperty("abs_rel_metric", std::to_string(s.metric));
  RecordProperty("abs_rel_median_scaled", std::to_string(s.scaled));
  std::printf("depth AbsRel over %d images: metric %.4f, median-scaled %.4f\n", s.images, s.metric,
              s.scaled);
  EXPECT_LE(s.scaled, 0.15);
  EXPECT_LE(s.metric, 0.15);
}

// mIoU over the classes present in the set (intersection and union summed over all images).
TEST(DenseAccuracy, SegmentationMeanIoUOnFreshScenes) {
  const double miou = eval::segmentation_miou(kModels + "/scene_seg.onnx", kSceneDir, true);
  RecordProperty("miou", std::to_string(miou));
  std::printf("segmentation mIoU: %.4f\n", miou);
  EXPECT_GE(miou, 0.80);
}

// What a robot reads: the distance of each object. Objects are the connected box/sphere regions
// of the ground-truth class map; the fuser takes the median of the model's depth map in each
// object's box, and the truth is the median of the true depth in the same box. Reported as the
// median and 90th percentile of |error| / true distance over every object of the set.
TEST(DenseAccuracy, ObjectDistancesFromTheDepthModel) {
  auto task = eval::open_model(kModels + "/scene_depth.onnx");
  const auto j = eval::read_labels(kSceneDir);
  std::vector<double> rel;
  std::vector<float> scratch;
  for (const auto& e : j["images"]) {
    Image img = read_image(kSceneDir + "/" + e["file"].get<std::string>()).value_or_throw();
    DepthMap gt = read_pfm(kSceneDir + "/" + e["depth"].get<std::string>()).value_or_throw();
    cv::Mat seg = cv::imread(kSceneDir + "/" + e["seg"].get<std::string>(), cv::IMREAD_GRAYSCALE);
    ASSERT_FALSE(seg.empty());
    cv::Mat objects = seg >= 2, ids, stats, centroids;  // box (2) and sphere (3)
    const int n = cv::connectedComponentsWithStats(objects, ids, stats, centroids, 8);
    Detections truth, pred;
    for (int k = 1; k < n; ++k) {
      if (stats.at<int>(k, cv::CC_STAT_AREA) < 200) continue;  // a sliver has no stable box
      Detection d;
      d.box = {static_cast<float>(stats.at<int>(k, cv::CC_STAT_LEFT)),
               static_cast<float>(stats.at<int>(k, cv::CC_STAT_TOP)),
               static_cast<float>(stats.at<int>(k, cv::CC_STAT_LEFT) +
                                  stats.at<int>(k, cv::CC_STAT_WIDTH)),
               static_cast<float>(stats.at<int>(k, cv::CC_STAT_TOP) +
                                  stats.at<int>(k, cv::CC_STAT_HEIGHT))};
      truth.push_back(d);
    }
    pred = truth;
    ModelOutput out = eval::run_frame(*task, img);
    fuse_distances(pred, out.depth, DistanceStat::median, scratch);
    fuse_distances(truth, gt, DistanceStat::median, scratch);
    for (size_t k = 0; k < truth.size(); ++k) {
      ASSERT_GT(truth[k].distance, 0.f);
      rel.push_back(std::abs(pred[k].distance - truth[k].distance) / truth[k].distance);
    }
  }
  ASSERT_GE(rel.size(), 40u);
  std::sort(rel.begin(), rel.end());
  const double med = rel[rel.size() / 2], p90 = rel[rel.size() * 9 / 10];
  RecordProperty("distance_rel_error_median", std::to_string(med));
  RecordProperty("distance_rel_error_p90", std::to_string(p90));
  std::printf("object distance over %zu objects: median |error| %.1f%%, p90 %.1f%%\n", rel.size(),
              100 * med, 100 * p90);
  EXPECT_LE(med, 0.10);
  EXPECT_LE(p90, 0.25);
}

TEST(DenseAccuracy, ClassificationTop1OnFreshShapes) {
  ASSERT_GE(eval::read_labels(kClassifyDir)["images"].size(), 100u);
  const double top1 = eval::classification_top1(kModels + "/shapes_cls.onnx", kClassifyDir);
  RecordProperty("top1", std::to_string(top1));
  std::printf("classification top-1: %.4f\n", top1);
  EXPECT_GE(top1, 0.90);
}

}  // namespace
}  // namespace percept
