// What a task borrows from its owner (TaskContext): the backend and, on a GPU, the stream the
// executor creates (gpu::ComputeStream). Without a GPU (this machine, CI) a GPU device gets no
// stream and says why, and the model still opens and runs on the CPU fallback with the same
// results; a CPU device never gets one. The stream's use on a device is checked by the
// gpu-labelled tests (detect_gpu_parity_test) where a GPU is lent.
#include <gtest/gtest.h>

#include "percept/gpu/compute_stream.hpp"
#include "percept/tasks/task.hpp"

namespace percept {
namespace {

const std::string kData = PERCEPT_TEST_DATA;

TEST(ComputeStream, NoneForTheCpu) {
  std::string why;
  gpu::ComputeStream s = open_stream("cpu", &why);
  EXPECT_FALSE(s);
  EXPECT_EQ(s.handle(), nullptr);
  EXPECT_TRUE(why.empty()) << why;  // nothing is missing: the CPU needs no stream
  EXPECT_TRUE(s.synchronize().ok());
}

TEST(ComputeStream, AGpuDeviceWithoutAGpuGetsNoneAndSaysWhy) {
  for (const char* device : {"cuda", "cuda:0", "tensorrt:1"}) {
    std::string why;
    gpu::ComputeStream s = open_stream(device, &why);
    if (s) GTEST_SKIP() << "a GPU is present: the gpu-labelled tests cover the stream";
    EXPECT_FALSE(why.empty()) << device;
    gpu::ComputeStream moved = std::move(s);  // move-only, and an empty one moves cleanly
    EXPECT_FALSE(moved);
    EXPECT_TRUE(moved.synchronize().ok());
  }
}

TEST(OpenedTask, OwnsStreamBackendAndTaskAndFallsBackWhole) {
  TaskConfig cfg;
  cfg.model_path = kData + "/dense_classify.onnx";
  OpenedTask cpu = open_task(cfg);
  ASSERT_TRUE(cpu.task);
  EXPECT_FALSE(cpu.stream);
  EXPECT_EQ(&cpu->backend(), cpu.backend.get());  // the task borrows the opened backend
  cfg.backend.device = "cuda";
  OpenedTask cuda = open_task(cfg);
  if (cuda.backend->accepts_device_inputs()) GTEST_SKIP() << "a GPU runs the model here";
  EXPECT_EQ(cuda.backend->name(), "onnxruntime-cpu");
  EXPECT_FALSE(cuda->preprocesses_on_gpu());
  Image img(40, 30, PixelFormat::bgr8);
  std::fill(img.data(), img.data() + img.stride() * 30, uint8_t{77});
  const ImageView v = img.view();
  ModelOutput a, b;
  ASSERT_TRUE(cpu->run(std::span<const ImageView>(&v, 1), std::span<ModelOutput>(&a, 1)).ok());
  ASSERT_TRUE(cuda->run(std::span<const ImageView>(&v, 1), std::span<ModelOutput>(&b, 1)).ok());
  ASSERT_EQ(a.classes.size(), b.classes.size());
  for (size_t i = 0; i < a.classes.size(); ++i) {
    EXPECT_EQ(a.classes[i].class_id, b.classes[i].class_id);
    EXPECT_EQ(a.classes[i].score, b.classes[i].score);
  }
}

}  // namespace
}  // namespace percept
