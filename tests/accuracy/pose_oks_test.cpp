// The trained keypoint model (models/shapes_yolov8_pose.onnx, tools/train_pose.py: each shape's
// extreme points, left, top, right, bottom) through the C++ pose path, on 200 freshly generated
// validation images (seed 12345, never used in training), against the generator's exact points.
// OKS as Ultralytics computes it (area = 0.53 x box area). The sigma decides how strict OKS is:
// Ultralytics' pose validation uses 1/K per keypoint for a keypoint set that is not COCO's
// (0.25 here), and the keypoint AP >= 0.90 is checked at that sigma. COCO's sigmas are
// 0.025-0.107: at 0.1 (0.88) and 0.05 (0.48) this model scores lower (printed; 0.1 has a floor
// that catches a regression), because its polygon keypoints are coarse (models/README.md).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "percept/io/image_io.hpp"
#include "percept/tasks/task.hpp"
#include "scored_ap.hpp"

namespace percept {
namespace {

struct Truth {
  int class_id;
  double area;  // 0.53 x box area
  std::vector<std::array<double, 2>> points;
  std::vector<bool> labelled;  // inside the image
};

double oks(const Truth& t, std::span<const Keypoint> p, double sigma) {
  double sum = 0;
  int n = 0;
  for (size_t k = 0; k < t.points.size() && k < p.size(); ++k) {
    if (!t.labelled[k]) continue;
    const double dx = p[k].x - t.points[k][0], dy = p[k].y - t.points[k][1];
    const double e = (dx * dx + dy * dy) / (std::pow(2 * sigma, 2) * (t.area + 1e-9) * 2);
    sum += std::exp(-e);
    ++n;
  }
  return n ? sum / n : 0.0;
}

TEST(Oks, HandComputed) {
  Truth t{0, 100.0, {{10, 10}, {20, 20}}, {true, false}};
  const Keypoint exact[2] = {{10, 10, 1}, {99, 99, 1}};  // the unlabelled point does not count
  EXPECT_DOUBLE_EQ(oks(t, exact, 0.05), 1.0);
  const Keypoint off[2] = {{13, 14, 1}, {20, 20, 1}};  // d^2 = 25
  EXPECT_NEAR(oks(t, off, 0.05), std::exp(-25.0 / (0.01 * 100.0 * 2)), 1e-12);
}

TEST(TrainedPose, KeypointApAtOks50OnFreshValidationSet) {
  const std::string model = std::string(PERCEPT_MODELS) + "/shapes_yolov8_pose.onnx";
  const std::string val = std::string(PERCEPT_BUILD_DIR) + "/testdata/shapes_val";
  ASSERT_TRUE(std::filesystem::exists(model)) << model;
  std::ifstream f(val + "/labels.json");
  ASSERT_TRUE(f.good()) << "validation set missing: " << val << " (ctest fixture)";
  const auto labels = nlohmann::json::parse(f);

  TaskConfig cfg;
  cfg.model_path = model;
  cfg.conf = 0.001f;
  cfg.iou = 0.6f;
  auto task = open_task(cfg);
  ASSERT_EQ(task->name(), "pose");
  const int nc = static_cast<int>(task->labels().size());
  // Every frame's detections and keypoints, then AP at OKS 0.5 for each sigma.
  struct Image1 {
    std::vector<Truth> gt;
    Detections dets;
    std::vector<Keypoint> points;
  };
  std::vector<Image1> all;
  std::vector<size_t> truths(static_cast<size_t>(nc), 0);
  ModelOutput out;
  for (const auto& entry : labels["images"]) {
    auto img = read_image(val + "/" + entry["file"].get<std::string>());
    ASSERT_TRUE(img.ok()) << img.error().message();
    const double w = entry["width"], h = entry["height"];
    Image1 im;
    for (const auto& o : entry["objects"]) {
      ASSERT_TRUE(o.contains("keypoints")) << "validation set made without --masks";
      const auto& b = o["box"];
      Truth t{o["class_id"].get<int>(),
              0.53 * (b[2].get<double>() - b[0].get<double>()) *
                  (b[3].get<double>() - b[1].get<double>()),
              {},
              {}};
      for (const auto& p : o["keypoints"]) {
        const double x = p[0], y = p[1];
        t.points.push_back({x, y});
        t.labelled.push_back(x >= 0 && x <= w && y >= 0 && y <= h);
      }
      ++truths[static_cast<size_t>(t.class_id)];
      im.gt.push_back(std::move(t));
    }
    const ImageView v = img->view();
    ASSERT_TRUE(task->run(std::span<const ImageView>(&v, 1), std::span<ModelOutput>(&out, 1)).ok());
    ASSERT_EQ(out.keypoints.per_detection, 4);
    ASSERT_EQ(out.keypoints.detections(), out.detections.size());
    im.dets = out.detections;
    im.points = out.keypoints.points;
    all.push_back(std::move(im));
  }
  ASSERT_GE(all.size(), 200u);
  auto map_at = [&](double sigma) {
    std::vector<std::vector<Scored>> per_class(static_cast<size_t>(nc));
    for (const Image1& im : all) {
      std::vector<bool> used(im.gt.size(), false);
      for (size_t i = 0; i < im.dets.size(); ++i) {  // best first
        const int cls = im.dets[i].class_id;
        const std::span<const Keypoint> p(im.points.data() + 4 * i, 4);
        double best = 0.5;
        int match = -1;
        for (size_t k = 0; k < im.gt.size(); ++k) {
          if (used[k] || im.gt[k].class_id != cls) continue;
          const double s = oks(im.gt[k], p, sigma);
          if (s >= best) {
            best = s;
            match = static_cast<int>(k);
          }
        }
        if (match >= 0) used[static_cast<size_t>(match)] = true;
        per_class[static_cast<size_t>(cls)].push_back({im.dets[i].score, match >= 0});
      }
    }
    double sum = 0;
    int counted = 0;
    for (int c = 0; c < nc; ++c) {
      const double ap = average_precision(per_class[static_cast<size_t>(c)], truths[c]);
      std::printf("keypoint AP@OKS0.5 sigma %.3f %-10s %.4f\n", sigma, task->label(c).c_str(), ap);
      if (ap >= 0) {
        sum += ap;
        ++counted;
      }
    }
    const double ap = counted ? sum / counted : 0.0;
    std::printf("keypoint mAP@OKS0.5 sigma %.3f: %.4f over %zu images\n", sigma, ap, all.size());
    return ap;
  };
  EXPECT_GE(map_at(0.25), 0.90);  // Ultralytics' sigma for a K = 4 keypoint set
  EXPECT_GE(map_at(0.10), 0.75);  // regression floor at a COCO-like sigma
  map_at(0.05);                   // printed only
}

}  // namespace
}  // namespace percept
