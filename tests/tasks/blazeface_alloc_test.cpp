// The face task's own per-frame work (letterbox + NHWC transpose, decode, weighted NMS, mapping
// back) makes no heap allocation once warm. Its own binary: a replaced global operator new
// (tests/support/alloc_counter.hpp) counts the test thread's allocations. Inference runs once,
// outside the count, to give
// real outputs with a face in them (ONNX Runtime's allocations are its own business).
#include <gtest/gtest.h>

#include <filesystem>
#include <vector>

#include "percept/io/image_io.hpp"
#include "percept/tasks/task.hpp"
#include "support/alloc_counter.hpp"

namespace percept {
namespace {

TEST(FaceAllocations, PreAndPostProcessingAllocateNothingOnceWarm) {
  const std::string photo = "/usr/lib/python3/dist-packages/imageio/resources/images/astronaut.png";
  ASSERT_TRUE(std::filesystem::exists(photo)) << photo << ": scripts/bootstrap.sh installs it";
  TaskConfig cfg;
  cfg.model_path = std::string(PERCEPT_SOURCE_DIR) +
                   "/third_party/blazeface/face_detection_front_128x128_barracuda.onnx";
  auto det = open_task(cfg);
  ASSERT_EQ(det->name(), "face");
  auto img = read_image(photo).value_or_throw();
  const ImageView frame = img.view();
  const std::span<const ImageView> frames(&frame, 1);
  auto in = det->preprocess(frames);
  ASSERT_TRUE(in.ok()) << in.error().message();
  auto outs = det.backend->run(*in);
  ASSERT_TRUE(outs.ok()) << outs.error().message();
  std::vector<std::vector<float>> copies;
  std::vector<TensorView> views;
  for (const TensorView& o : *outs) copies.emplace_back(o.as<float>(), o.as<float>() + o.numel());
  for (size_t i = 0; i < copies.size(); ++i)
    views.push_back({copies[i].data(), DType::f32, (*outs)[i].shape});
  ModelOutput out;
  const Faces& faces = out.faces;
  auto one_frame = [&] {
    EXPECT_TRUE(det->preprocess(frames).ok());
    EXPECT_TRUE(det->postprocess(views, std::span<ModelOutput>(&out, 1)).ok());
  };
  for (int i = 0; i < 3; ++i) one_frame();
  long allocations = 0;
  {
    test::CountAllocations n;
    for (int i = 0; i < 1000; ++i) one_frame();
    allocations = n.count();
  }
  EXPECT_EQ(allocations, 0);
  EXPECT_EQ(faces.size(), 1u);
}

}  // namespace
}  // namespace percept
