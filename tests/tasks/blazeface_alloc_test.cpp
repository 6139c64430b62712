// The face task's own per-frame work (letterbox + NHWC transpose, decode, weighted NMS, mapping
// back) makes no heap allocation once warm. Its own binary: a replaced global operator new
// (tests/support/alloc_counter.hpp) counts the test thread's allocations. Inference runs once,
// outside the count, to give
// real outputs with a face in them (ONNX Runtime's allocations are its own business).
#include <gtest/gtest.h>

#include <filesystem>
#include <vector>

#include "percept/io/image_io.hpp"
#include "percept/tasks/face/blazeface.hpp"
#include "support/alloc_counter.hpp"

namespace percept {
namespace {

TEST(FaceAllocations, PreAndPostProcessingAllocateNothingOnceWarm) {
  const std::string photo = "/usr/lib/python3/dist-packages/imageio/resources/images/astronaut.png";
  ASSERT_TRUE(std::filesystem::exists(photo)) << photo << ": scripts/bootstrap.sh installs it";
  FaceConfig cfg;
  cfg.model_path = std::string(PERCEPT_SOURCE_DIR) +
                   "/third_party/blazeface/face_detection_front_128x128_barracuda.onnx";
  auto det = FaceDetector::open(cfg);
  auto img = read_image(photo).value_or_throw();
  ASSERT_TRUE(det->preprocess(img.view()).ok());
  TensorView in = det->input().view();
  auto outs = const_cast<Backend&>(det->backend()).run(std::span<const TensorView>(&in, 1));
  ASSERT_TRUE(outs.ok()) << outs.error().message();
  std::vector<std::vector<float>> copies;
  std::vector<TensorView> views;
  for (const TensorView& o : *outs) copies.emplace_back(o.as<float>(), o.as<float>() + o.numel());
  for (size_t i = 0; i < copies.size(); ++i)
    views.push_back({copies[i].data(), DType::f32, (*outs)[i].shape});
  Faces faces;
  auto one_frame = [&] {
    EXPECT_TRUE(det->preprocess(img.view()).ok());
    EXPECT_TRUE(det->postprocess(views, faces).ok());
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
