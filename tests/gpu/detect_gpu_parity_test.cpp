// The detector with its model on CUDA and the frames letterboxed on the GPU (GpuLetterbox, the
// input bound in device memory) against the CPU path, on the trained shapes detector (label
// gpu; needs ONNX Runtime's CUDA provider on the loader path: scripts/gpu_verify.sh joins it).
// ONNX Runtime's CUDA convolutions round differently from its CPU ones (and may use TF32), so
// boxes are matched by class and IoU, not bit for bit.
#include <gtest/gtest.h>

#include <cmath>

#include "gpu_test_util.hpp"
#include "percept/core/detection.hpp"
#include "percept/tasks/task.hpp"

using namespace percept;

TEST(DetectorOnCuda, GpuPreprocessingFindsTheCpuPathsBoxes) {
  SKIP_WITHOUT_GPU();
  TaskConfig cfg;
  cfg.model_path = test::model_path("shapes_yolov8.onnx");
  auto cpu = open_task(cfg);
  cfg.backend.device = "cuda";
  auto cuda = open_task(cfg);
  if (cuda->backend().name() != "onnxruntime-cuda")
    GTEST_SKIP() << "ONNX Runtime's CUDA provider did not start (" << cuda->backend().name()
                 << "): put libonnxruntime_providers_cuda.so beside libonnxruntime.so.1";
  ASSERT_TRUE(cuda->preprocesses_on_gpu());
  ASSERT_TRUE(cuda.stream) << "the task, ONNX Runtime and the letterbox share one stream";
  std::vector<Image> frames;
  for (int i = 0; i < 3; ++i) frames.push_back(test::shapes_frame());
  std::vector<ImageView> views;
  for (const Image& f : frames) views.push_back(f.view());
  std::vector<ModelOutput> oa(3), ob(3);
  ASSERT_OK(cpu->run(views, oa));
  for (int run = 0; run < 2; ++run) {  // the second run reuses every GPU buffer
    ASSERT_OK(cuda->run(views, ob));
    auto a = [&](size_t f) -> const Detections& { return oa[f].detections; };
    auto b = [&](size_t f) -> const Detections& { return ob[f].detections; };
    size_t matched = 0, confident = 0;
    for (size_t f = 0; f < 3; ++f)
      for (const Detection& d : a(f)) {
        if (d.score < 0.35f) continue;  // near the threshold either path may drop it
        ++confident;
        for (const Detection& e : b(f))
          if (e.class_id == d.class_id && iou(d.box, e.box) > 0.9f &&
              std::fabs(e.score - d.score) < 0.05f) {
            ++matched;
            break;
          }
      }
    EXPECT_EQ(matched, confident) << "run " << run;
  }
}
