// P10: percept's own per-frame work (letterbox, decode, NMS, mapping back) makes no heap
// allocation once warm. A replaced global operator new (tests/support/alloc_counter.hpp) counts
// the test thread's allocations; ONNX Runtime is not involved, so the count covers exactly
// percept's pre- and post-processing.
#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "percept/preprocess/letterbox.hpp"
#include "percept/tasks/classify/classify_task.hpp"
#include "percept/tasks/depth/depth_task.hpp"
#include "percept/tasks/detect/yolo_decode.hpp"
#include "percept/tasks/image_input.hpp"
#include "percept/tasks/segment/segment_task.hpp"
#include "percept/tasks/task.hpp"
#include "support/alloc_counter.hpp"

namespace percept {
namespace {

TEST(Allocations, PreAndPostProcessingAllocateNothingOnceWarm) {
  // A realistic [84, 8400] output: background noise plus 30 objects seen by 8 anchors each.
  constexpr int kClasses = 80, kAnchors = 8400;
  std::mt19937 rng(2);
  std::uniform_real_distribution<float> u(0.f, 1.f);
  std::vector<float> out(static_cast<size_t>(4 + kClasses) * kAnchors);
  for (int i = 0; i < kAnchors; ++i) {
    out[i] = u(rng) * 640, out[kAnchors + i] = u(rng) * 640;
    out[2 * kAnchors + i] = 20 + u(rng) * 80, out[3 * kAnchors + i] = 20 + u(rng) * 80;
    for (int c = 0; c < kClasses; ++c) out[(4 + c) * kAnchors + i] = u(rng) * 0.05f;
  }
  for (int o = 0; o < 30; ++o) {
    const int base = static_cast<int>(u(rng) * (kAnchors - 8)), cls = o % kClasses;
    for (int k = 0; k < 8; ++k) out[(4 + cls) * kAnchors + base + k] = 0.5f + u(rng) * 0.4f;
  }
  Image frame(1920, 1080, PixelFormat::bgr8);
  for (size_t i = 0; i < frame.stride() * 1080; ++i) frame.data()[i] = static_cast<uint8_t>(i);
  const auto p = letterbox_params(1920, 1080, 640, 640);
  std::vector<float> input(3 * 640 * 640);
  YoloDecoder decoder;
  Detections dets;
  const LayoutInfo layout{YoloLayout::v8, kClasses, kAnchors};
  auto one_frame = [&] {
    letterbox_cpu(frame.view(), p, Normalize{}, input.data());
    decoder.decode(out.data(), layout, DecodeOptions{}, dets);
    for (Detection& d : dets) d.box = p.to_source(d.box);
  };
  for (int i = 0; i < 3; ++i) one_frame();  // warm-up: scratch buffers reach their size
  ASSERT_GT(dets.size(), 10u);
  long allocations = 0;
  {
    test::CountAllocations n;
    for (int i = 0; i < 1000; ++i) one_frame();
    allocations = n.count();
  }
  EXPECT_EQ(allocations, 0) << "heap allocations in 1000 frames";
}

// The same for the depth, segment and classify tasks: ImageNet input, depth map, class map with
// fractions, top-k softmax.
TEST(Allocations, DenseTasksAllocateNothingOnceWarm) {
  Image frame(640, 480, PixelFormat::bgr8);
  for (size_t i = 0; i < frame.stride() * 480; ++i) frame.data()[i] = static_cast<uint8_t>(i * 3);
  TensorInfo in{"image", DType::f32, Shape({-1, 3, 168, 224}), {}};
  ImageInput input("alloc", in, {}, ResizeMode::letterbox,
                   make_normalize({}, {0.485f, 0.456f, 0.406f}, {0.229f, 0.224f, 0.225f}, true));
  Tensor tensor;
  std::vector<LetterboxParams> params;
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> u(-3.f, 3.f);
  std::vector<float> logits(21 * 168 * 224), scores(1000);
  for (float& v : logits) v = u(rng);
  for (float& v : scores) v = u(rng);
  DepthMap depth;
  PlaneResampler rs;
  SegmentationMap seg;
  SegmentScratch seg_scratch;
  ClassScores top;
  std::vector<float> probs;
  const ImageView view = frame.view();
  auto one_frame = [&] {
    ASSERT_TRUE(input.fill(std::span<const ImageView>(&view, 1), tensor, params).ok());
    depth_to_frame(logits.data(), 224, 168, params[0], DepthUnit::metres, depth, rs);
    segmentation_to_frame(logits.data(), 21, 224, 168, params[0], 0.5f, seg, seg_scratch);
    top_k_softmax(scores.data(), 1000, 5, top, probs);
  };
  for (int i = 0; i < 3; ++i) one_frame();
  ASSERT_EQ(depth.values.size(), 640u * 480u);
  ASSERT_EQ(top.size(), 5u);
  long allocations = 0;
  {
    test::CountAllocations n;
    for (int i = 0; i < 200; ++i) one_frame();
    allocations = n.count();
  }
  EXPECT_EQ(allocations, 0) << "heap allocations in 200 frames";
}

// The YOLO family's extra heads through the tasks' own postprocess (the public hook): decode
// with anchors, masks at frame resolution, keypoints. One real inference, then postprocess on
// its outputs again and again: after warm-up, no allocation.
TEST(Allocations, InstanceSegmentAndPosePostprocessAllocateNothingOnceWarm) {
  const std::string src = PERCEPT_SOURCE_DIR;
  for (const std::string& model :
       {src + "/models/shapes_yolov8_seg.onnx", src + "/tests/hostile/nan_seg.onnx",
        src + "/tests/hostile/nan_pose.onnx"}) {
    TaskConfig cfg;
    cfg.model_path = model;
    cfg.backend.intra_op_threads = 1;
    cfg.conf = 0.001f;  // the trained model sees no shapes in this frame: keep its weak guesses
    OpenedTask t = open_task(cfg);
    // Grey, with three solid squares of saturated colours for the trained model to find.
    Image frame(640, 360, PixelFormat::bgr8);
    for (int y = 0; y < 360; ++y)
      for (int x = 0; x < 640; ++x) {
        uint8_t* p = frame.row(y) + 3 * x;
        const int sq = (y >= 60 && y < 180)                           ? (x >= 40 && x < 160    ? 1
                                                                         : x >= 300 && x < 420 ? 2
                                                                                               : 0)
                       : (y >= 220 && y < 330 && x >= 480 && x < 590) ? 3
                                                                      : 0;
        static const uint8_t colour[4][3] = {
            {90, 90, 90}, {30, 30, 230}, {230, 120, 20}, {40, 220, 40}};
        for (int k = 0; k < 3; ++k) p[k] = colour[sq][k];
      }
    const ImageView v = frame.view();
    auto in = t->preprocess(std::span<const ImageView>(&v, 1));
    ASSERT_TRUE(in.ok()) << model;
    auto outs = t.backend->run(*in);
    ASSERT_TRUE(outs.ok()) << model;
    ModelOutput out;
    for (int i = 0; i < 3; ++i)
      ASSERT_TRUE(t->postprocess(*outs, std::span<ModelOutput>(&out, 1)).ok()) << model;
    EXPECT_FALSE(out.detections.empty()) << model;
    long allocations = 0;
    {
      test::CountAllocations n;
      for (int i = 0; i < 50; ++i)
        if (!t->postprocess(*outs, std::span<ModelOutput>(&out, 1)).ok()) break;
      allocations = n.count();
    }
    EXPECT_EQ(allocations, 0) << model << ": heap allocations in 50 postprocess calls";
  }
}

}  // namespace
}  // namespace percept
