// The trained instance segmenter (models/shapes_yolov8_seg.onnx, tools/train_segmenter.py)
// through the C++ instance_segment path reaches mask mAP@0.5 >= 0.90 on 200 freshly generated
// validation images (seed 12345, never used in training), scored against the generator's exact
// visible masks (16-bit instance maps, tools/shapes_dataset.py --masks).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>

#include "percept/io/image_io.hpp"
#include "percept/tasks/task.hpp"
#include "scored_ap.hpp"

namespace percept {
namespace {

TEST(MaskAveragePrecision, HandComputed) {
  EXPECT_DOUBLE_EQ(average_precision({{0.9f, true}, {0.8f, true}}, 2), 1.0);
  EXPECT_NEAR(average_precision({{0.95f, false}, {0.9f, true}, {0.8f, true}}, 2), 2.0 / 3.0, 1e-12);
  EXPECT_DOUBLE_EQ(average_precision({{0.9f, true}, {0.8f, false}}, 2), 0.5);
  EXPECT_DOUBLE_EQ(average_precision({}, 0), -1.0);
}

TEST(TrainedSegmenter, MaskMapOnFreshValidationSet) {
  const std::string model = std::string(PERCEPT_MODELS) + "/shapes_yolov8_seg.onnx";
  const std::string val = std::string(PERCEPT_BUILD_DIR) + "/testdata/shapes_val";
  ASSERT_TRUE(std::filesystem::exists(model)) << model;
  std::ifstream f(val + "/labels.json");
  ASSERT_TRUE(f.good()) << "validation set missing: " << val << " (ctest fixture)";
  const auto labels = nlohmann::json::parse(f);

  TaskConfig cfg;
  cfg.model_path = model;
  cfg.conf = 0.001f;  // the whole precision-recall curve, as mAP tools do
  cfg.iou = 0.6f;
  auto task = open_task(cfg);
  ASSERT_EQ(task->name(), "instance_segment");
  const int nc = static_cast<int>(task->labels().size());
  ASSERT_EQ(nc, static_cast<int>(labels["classes"].size()));

  std::vector<std::vector<Scored>> per_class(static_cast<size_t>(nc));
  std::vector<size_t> truths(static_cast<size_t>(nc), 0);
  size_t images = 0;
  ModelOutput out;
  std::vector<int64_t> inter;
  for (const auto& entry : labels["images"]) {
    ASSERT_TRUE(entry.contains("masks")) << "validation set made without --masks";
    auto img = read_image(val + "/" + entry["file"].get<std::string>());
    ASSERT_TRUE(img.ok()) << img.error().message();
    const cv::Mat gt =
        cv::imread(val + "/" + entry["masks"].get<std::string>(), cv::IMREAD_UNCHANGED);
    ASSERT_EQ(gt.type(), CV_16UC1);
    ASSERT_EQ(gt.cols, img->width());
    const auto& objects = entry["objects"];
    const size_t ng = objects.size();
    std::vector<int64_t> gt_area(ng + 1, 0);
    for (int y = 0; y < gt.rows; ++y)
      for (int x = 0; x < gt.cols; ++x) ++gt_area[std::min<size_t>(gt.at<uint16_t>(y, x), ng)];
    std::vector<int> gt_class(ng);
    for (size_t k = 0; k < ng; ++k) {
      gt_class[k] = objects[k]["class_id"].get<int>();
      if (gt_area[k + 1] > 0) ++truths[static_cast<size_t>(gt_class[k])];
    }

    const ImageView v = img->view();
    ASSERT_TRUE(task->run(std::span<const ImageView>(&v, 1), std::span<ModelOutput>(&out, 1)).ok());
    ASSERT_EQ(out.masks.items.size(), out.detections.size());
    // Detections come best first: match each greedily to the unmatched truth of its class with
    // the highest mask IoU >= 0.5.
    std::vector<bool> used(ng, false);
    for (size_t i = 0; i < out.detections.size(); ++i) {
      const InstanceMask& m = out.masks.items[i];
      inter.assign(ng + 1, 0);
      for (int y = 0; y < m.height; ++y)
        for (int x = 0; x < m.width; ++x)
          if (out.masks.pixels[m.offset + static_cast<size_t>(y) * m.width + x])
            ++inter[std::min<size_t>(gt.at<uint16_t>(m.y + y, m.x + x), ng)];
      const int cls = out.detections[i].class_id;
      double best = 0.5;
      int match = -1;
      for (size_t k = 0; k < ng; ++k) {
        if (used[k] || gt_class[k] != cls || gt_area[k + 1] == 0) continue;
        const double iou = static_cast<double>(inter[k + 1]) /
                           static_cast<double>(m.area + gt_area[k + 1] - inter[k + 1]);
        if (iou >= best) {
          best = iou;
          match = static_cast<int>(k);
        }
      }
      if (match >= 0) used[static_cast<size_t>(match)] = true;
      per_class[static_cast<size_t>(cls)].push_back({out.detections[i].score, match >= 0});
    }
    ++images;
  }
  ASSERT_GE(images, 200u);
  double sum = 0;
  int counted = 0;
  for (int c = 0; c < nc; ++c) {
    const double ap = average_precision(per_class[static_cast<size_t>(c)], truths[c]);
    std::printf("mask AP50 %-10s %.4f\n", task->label(c).c_str(), ap);
    if (ap >= 0) {
      sum += ap;
      ++counted;
    }
  }
  ASSERT_GT(counted, 0);
  const double map50 = sum / counted;
  std::printf("mask mAP@0.5 %.4f over %zu images\n", map50, images);
  EXPECT_GE(map50, 0.90);
}

}  // namespace
}  // namespace percept
