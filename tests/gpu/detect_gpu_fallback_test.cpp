// The detector's GPU preprocessing where there is no GPU (label cpu, CUDA builds): GpuLetterbox
// is an error value, and a detector asked for device cuda falls back to the CPU whole, with the
// CPU path's boxes.
#include <gtest/gtest.h>

#include "gpu_test_util.hpp"
#include "percept/preprocess/cuda/gpu_letterbox.hpp"
#include "percept/tasks/task.hpp"

using namespace percept;

TEST(GpuLetterbox, WithoutADeviceIsAnErrorNotACrash) {
  std::string why;
  if (gpu::device_available(&why)) GTEST_SKIP() << "a GPU is present: the kernel tests cover it";
  auto g = GpuLetterbox::create();
  ASSERT_FALSE(g.ok());
  EXPECT_NE(g.error().message().find("no CUDA device"), std::string::npos) << g.error().message();
}

TEST(DetectorOnCuda, WithoutAGpuRunsTheCpuPathWithTheSameBoxes) {
  std::string why;
  if (gpu::device_available(&why)) GTEST_SKIP() << "a GPU is present: detect_gpu_parity_test";
  TaskConfig cfg;
  cfg.model_path = test::model_path("shapes_yolov8.onnx");
  auto cpu = open_task(cfg);
  cfg.backend.device = "cuda";
  auto cuda = open_task(cfg);
  EXPECT_FALSE(cuda.stream) << "no stream without a device";
  EXPECT_EQ(cuda->backend().name(), "onnxruntime-cpu");
  EXPECT_FALSE(cuda->preprocesses_on_gpu());
  const Image frame = test::shapes_frame();
  const ImageView v = frame.view();
  ModelOutput oa, ob;
  ASSERT_OK(cpu->run(std::span<const ImageView>(&v, 1), std::span<ModelOutput>(&oa, 1)));
  ASSERT_OK(cuda->run(std::span<const ImageView>(&v, 1), std::span<ModelOutput>(&ob, 1)));
  const Detections& a = oa.detections;
  const Detections& b = ob.detections;
  ASSERT_FALSE(a.empty()) << "the frame's rectangle and disc should be found";
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].class_id, b[i].class_id);
    EXPECT_EQ(a[i].score, b[i].score);
  }
}
