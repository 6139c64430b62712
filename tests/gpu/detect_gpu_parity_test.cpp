// The detector with its model on CUDA and the frames letterboxed on the GPU (GpuLetterbox, the
// input bound in device memory) against the CPU path, on the trained shapes detector (label
// gpu; needs ONNX Runtime's CUDA provider on the loader path: scripts/gpu_verify.sh joins it).
// ONNX Runtime's CUDA convolutions round differently from its CPU ones (and may use TF32), so
// boxes are matched by class and IoU, not bit for bit: compare_task (parity.hpp), in both
// directions, on two runs of the GPU side (the second reuses every GPU buffer).
#include <gtest/gtest.h>

#include "gpu_test_util.hpp"
#include "parity.hpp"
#include "percept/tasks/task.hpp"

using namespace percept;

TEST(DetectorOnCuda, GpuPreprocessingFindsTheCpuPathsBoxes) {
  SKIP_WITHOUT_GPU();
  TaskConfig cfg;
  cfg.model_path = test::model_path("shapes_yolov8.onnx");
  std::vector<Image> frames;
  for (int i = 0; i < 3; ++i) frames.push_back(test::shapes_frame());
  test::TaskTolerance tol;
  tol.detection_iou = 0.9f;         // same class and IoU > 0.9,
  tol.detection_score = 0.05f;      // |score difference| < 0.05,
  tol.detection_min_score = 0.35f;  // near the threshold (conf 0.25) either path may drop it
  test::TaskParityOptions opt;
  opt.device_runs = 2;
  opt.check_device = [](const OpenedTask& t) -> std::optional<std::string> {
    if (!t->preprocesses_on_gpu()) return "the detect task does not letterbox on the GPU";
    if (!t.stream) return "the task, ONNX Runtime and the letterbox must share one stream: none";
    return std::nullopt;
  };
  ASSERT_PARITY(test::compare_task(cfg, test::views_of(frames), tol, opt));
}
