// The depth, segment and classify tasks and the task inference, on tiny models whose output is
// a known function of the normalised input (tests/data/make_test_models.py, dense_*), and
// their post-processing kernels against OpenCV and hand-computed values.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <opencv2/imgproc.hpp>
#include <random>

#include "percept/tasks/classify/classify_task.hpp"
#include "percept/tasks/depth/depth_task.hpp"
#include "percept/tasks/image_input.hpp"
#include "percept/tasks/segment/segment_task.hpp"
#include "percept/tasks/task.hpp"
#include "percept/tasks/task_registry.hpp"

namespace percept {
namespace {

namespace fs = std::filesystem;
const std::string kData = PERCEPT_TEST_DATA;

// ImageNet normalisation of one 8-bit channel value.
float imagenet(int v, int channel) {
  const float mean[] = {0.485f, 0.456f, 0.406f}, std[] = {0.229f, 0.224f, 0.225f};
  return (static_cast<float>(v) / 255.f - mean[channel]) / std[channel];
}

Image solid(int w, int h, uint8_t b, uint8_t g, uint8_t r) {
  Image img(w, h, PixelFormat::bgr8);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      uint8_t* p = img.row(y) + 3 * x;
      p[0] = b;
      p[1] = g;
      p[2] = r;
    }
  return img;
}

ModelOutput run(Task& t, const Image& img) {
  ModelOutput out;
  const ImageView v = img.view();
  Status st = t.run(std::span<const ImageView>(&v, 1), std::span<ModelOutput>(&out, 1));
  EXPECT_TRUE(st.ok()) << st.error().message();
  return out;
}

TaskConfig config(const std::string& model) {
  TaskConfig c;
  c.model_path = model;
  c.backend.intra_op_threads = 1;
  return c;
}

TEST(TaskInference, ToldFromTheTensorShapes) {
  EXPECT_EQ(open_task(config(kData + "/dense_classify.onnx"))->name(), "classify");
  EXPECT_EQ(open_task(config(kData + "/dense_segment.onnx"))->name(), "segment");
  // [B, H, W] with the input's own H and W is a depth map; a YOLO head is not.
  EXPECT_EQ(open_task(config(kData + "/dense_depth.onnx"))->name(), "depth");
  EXPECT_EQ(open_task(config(kData + "/const_v8.onnx"))->name(), "detect");
}

TEST(TaskInference, AmbiguousModelSaysWhatItFoundAndWhatToSet) {
  try {
    open_task(config(kData + "/dense_mask.onnx"));
    FAIL() << "a [B, 1, H, W] output without a task must be refused";
  } catch (const Error& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("dense_mask.onnx"), std::string::npos) << m;
    EXPECT_NE(m.find("output 'out' [?, 1, 8, 12]"), std::string::npos) << m;
    EXPECT_NE(m.find("a depth map or a binary mask"), std::string::npos) << m;
    EXPECT_NE(m.find("set `task:`"), std::string::npos) << m;
    EXPECT_NE(m.find("dense_mask.yaml"), std::string::npos) << m;  // the sidecar to write
  }
  // Told by the config, the same model runs as either task.
  TaskConfig c = config(kData + "/dense_mask.onnx");
  c.conventions.task = "depth";
  EXPECT_EQ(open_task(c)->name(), "depth");
  c.conventions.task = "segment";
  EXPECT_EQ(open_task(c)->name(), "segment");
}

TEST(TaskRegistry, UnknownTaskListsTheKnownOnes) {
  const auto names = task_names();
  for (const char* t :
       {"detect", "depth", "segment", "classify", "face", "instance_segment", "pose"})
    EXPECT_NE(std::find(names.begin(), names.end(), t), names.end()) << t;
  TaskConfig c = config(kData + "/dense_classify.onnx");
  c.conventions.task = "obb";  // Ultralytics' oriented boxes: not a percept task (yet)
  c.conventions.source["task"] = "config";
  try {
    open_task(c);
    FAIL() << "a task the registry does not know must be refused when the config asks for it";
  } catch (const Error& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("unknown task 'obb'"), std::string::npos) << m;
    EXPECT_EQ(e.code(), ErrorCode::invalid_argument);
    EXPECT_NE(m.find("detect, depth, segment, classify, face"), std::string::npos) << m;
  }
}

TEST(TaskRegistry, UnknownTaskFromMetadataFallsBackToTheShapes) {
  // Ultralytics writes tasks percept may not run (pose, obb) into the metadata: such a model
  // is not refused, its task is told from the tensors.
  TaskConfig c = config(kData + "/dense_classify.onnx");
  c.conventions.task = "pose";
  c.conventions.source["task"] = "metadata";
  auto t = open_task(c);
  EXPECT_EQ(t->name(), "classify");
  EXPECT_TRUE(has(t->produces(), Content::classes));
}

TEST(ClassifyTask, ColourOrderAndImageNetNormalisationReachTheModel) {
  auto t = open_task(config(kData + "/dense_classify.onnx"));
  // Pure red (BGR 0,0,255): the model's logits are the normalised R, G, B means.
  ModelOutput out = run(*t, solid(40, 30, 0, 0, 255));
  ASSERT_EQ(out.classes.size(), 3u);
  EXPECT_EQ(out.classes[0].class_id, 0);  // R
  const float l[] = {imagenet(255, 0), imagenet(0, 1), imagenet(0, 2)};
  const float z = std::exp(l[0]) + std::exp(l[1]) + std::exp(l[2]);
  EXPECT_NEAR(out.classes[0].score, std::exp(l[0]) / z, 1e-4);
  EXPECT_NEAR(out.classes[0].score + out.classes[1].score + out.classes[2].score, 1.0, 1e-5);
  // color: bgr swaps what the model sees.
  TaskConfig c = config(kData + "/dense_classify.onnx");
  c.conventions.rgb = false;
  c.top_k = 1;
  auto bgr = open_task(c);
  out = run(*bgr, solid(40, 30, 0, 0, 255));
  ASSERT_EQ(out.classes.size(), 1u);
  EXPECT_EQ(out.classes[0].class_id, 2);
}

TEST(SegmentTask, ClassMapInFramePixelsAndFractions) {
  auto t = open_task(config(kData + "/dense_segment.onnx"));
  // Left 3/4 red, right 1/4 blue, in a frame 4x the model's input: class 0 (R) | class 2 (B).
  Image img = solid(48, 32, 0, 0, 255);
  for (int y = 0; y < 32; ++y)
    for (int x = 36; x < 48; ++x) {
      img.row(y)[3 * x] = 255;
      img.row(y)[3 * x + 2] = 0;
    }
  ModelOutput out = run(*t, img);
  const SegmentationMap& m = out.segmentation;
  ASSERT_EQ(m.width, 48);
  ASSERT_EQ(m.height, 32);
  EXPECT_EQ(m.classes[5 * 48 + 2], 0);
  EXPECT_EQ(m.classes[5 * 48 + 45], 2);
  ASSERT_EQ(m.fractions.size(), 3u);
  EXPECT_NEAR(m.fractions[0], 0.75, 0.03);
  EXPECT_NEAR(m.fractions[2], 0.25, 0.03);
  EXPECT_NEAR(m.fractions[0] + m.fractions[1] + m.fractions[2], 1.0, 1e-6);
}

TEST(DepthTask, MapHasTheFrameSizeAndTheModelValues) {
  auto t = open_task(config(kData + "/dense_depth.onnx"));
  ModelOutput out = run(*t, solid(60, 40, 0, 0, 255));
  const DepthMap& d = out.depth;
  ASSERT_EQ(d.width, 60);
  ASSERT_EQ(d.height, 40);
  EXPECT_EQ(d.unit, DepthUnit::relative);  // no depth_unit anywhere: relative, with a log line
  const float expect = (imagenet(255, 0) + imagenet(0, 1) + imagenet(0, 2)) / 3;
  const DepthStats s = depth_stats(d);
  EXPECT_NEAR(s.min, expect, 1e-4);
  EXPECT_NEAR(s.max, expect, 1e-4);
  EXPECT_EQ(s.valid, 60u * 40u);
}

TEST(DenseTasks, BatchOfDifferentFrameSizes) {
  auto t = open_task(config(kData + "/dense_depth.onnx"));
  Image a = solid(24, 16, 10, 10, 10), b = solid(50, 30, 200, 200, 200);
  std::vector<ImageView> views{a.view(), b.view()};
  std::vector<ModelOutput> outs(2);
  ASSERT_TRUE(t->run(views, outs).ok());
  EXPECT_EQ(outs[0].depth.width, 24);
  EXPECT_EQ(outs[1].depth.width, 50);
  EXPECT_LT(depth_stats(outs[0].depth).mean, depth_stats(outs[1].depth).mean);
}

TEST(Resample, FullRegionMatchesOpenCvInterLinear) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> u(-5, 5);
  cv::Mat src(13, 17, CV_32F);
  for (int y = 0; y < src.rows; ++y)
    for (int x = 0; x < src.cols; ++x) src.at<float>(y, x) = u(rng);
  for (cv::Size dst : {cv::Size(40, 29), cv::Size(9, 6), cv::Size(17, 13), cv::Size(33, 7)}) {
    cv::Mat ref;
    cv::resize(src, ref, dst, 0, 0, cv::INTER_LINEAR);
    std::vector<float> out(static_cast<size_t>(dst.area()));
    PlaneResampler rs;
    resample_bilinear(src.ptr<float>(), src.cols, src.rows,
                      {0, 0, static_cast<float>(src.cols), static_cast<float>(src.rows)},
                      out.data(), dst.width, dst.height, rs);
    double worst = 0;
    for (int y = 0; y < dst.height; ++y)
      for (int x = 0; x < dst.width; ++x)
        worst = std::max(
            worst, std::abs(static_cast<double>(out[y * dst.width + x]) - ref.at<float>(y, x)));
    EXPECT_LT(worst, 2e-3) << dst;  // OpenCV's fixed-point weights (11 bits) vs float
  }
}

TEST(Resample, LetterboxPaddingNeverReachesTheFrame) {
  // A 16x8 frame letterboxed into 16x16: 4 rows of padding above and below. The output grid is
  // half the input (8x8). Padding cells hold 1000, frame cells 1: every map pixel must be 1.
  const LetterboxParams p = letterbox_params(16, 8, 16, 16);
  ASSERT_EQ(p.pad_top, 4);
  std::vector<float> grid(64, 1000.f);
  for (int y = 2; y < 6; ++y)
    for (int x = 0; x < 8; ++x) grid[y * 8 + x] = 1.f;
  DepthMap map;
  PlaneResampler rs;
  depth_to_frame(grid.data(), 8, 8, p, DepthUnit::metres, map, rs);
  ASSERT_EQ(map.values.size(), 16u * 8u);
  for (float v : map.values) ASSERT_FLOAT_EQ(v, 1.f);
}

TEST(SegmentationKernel, BinaryMaskUsesTheThreshold) {
  // One logit plane of 4x4 with values -2..+2 along x; frame the same size (stretch).
  const LetterboxParams p{4, 4, 4, 4, 4, 4, 0, 0};
  std::vector<float> logit(16);
  for (int y = 0; y < 4; ++y)
    for (int x = 0; x < 4; ++x) logit[y * 4 + x] = static_cast<float>(x) - 1.5f;
  SegmentationMap m;
  SegmentScratch scratch;
  segmentation_to_frame(logit.data(), 1, 4, 4, p, 0.5f, m, scratch);  // sigmoid > 0.5 <=> logit > 0
  EXPECT_EQ(m.classes[0], 0);
  EXPECT_EQ(m.classes[1], 0);
  EXPECT_EQ(m.classes[2], 1);
  EXPECT_EQ(m.classes[3], 1);
  EXPECT_FLOAT_EQ(m.fractions[1], 0.5f);
  segmentation_to_frame(logit.data(), 1, 4, 4, p, 0.8f, m, scratch);  // logit(0.8) = 1.386
  EXPECT_EQ(m.classes[2], 0);
  EXPECT_EQ(m.classes[3], 1);
}

TEST(TopK, SoftmaxOrderTiesAndProbabilityInputs) {
  std::vector<float> scratch;
  ClassScores out;
  const float logits[] = {1.f, 3.f, 3.f, -2.f, 0.f};
  top_k_softmax(logits, 5, 3, out, scratch);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0].class_id, 1);  // tie: the lower id first
  EXPECT_EQ(out[1].class_id, 2);
  EXPECT_EQ(out[2].class_id, 0);
  double z = 0;
  for (float l : logits) z += std::exp(static_cast<double>(l));
  EXPECT_NEAR(out[0].score, std::exp(3.0) / z, 1e-6);
  // Already probabilities (a softmax in the graph): kept, not flattened by a second softmax.
  const float probs[] = {0.1f, 0.7f, 0.2f};
  top_k_softmax(probs, 3, 5, out, scratch);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_FLOAT_EQ(out[0].score, 0.7f);
  EXPECT_FLOAT_EQ(out[2].score, 0.1f);
}

TEST(ImageInput, KeepAspectFollowsDepthAnything) {
  // Depth Anything V2 at 518: a 640x480 frame -> scale 518/480, width 690.7 -> 686 (49 x 14).
  TensorInfo in{"image", DType::f32, Shape({-1, 3, -1, -1}), {"batch", "", "height", "width"}};
  ModelConventions c;
  c.input_size = InputSize{518, 518};
  ImageInput ii("da.onnx", in, c, ResizeMode::keep_aspect, Normalize{});
  const InputSize s = ii.size_for(640, 480);
  EXPECT_EQ(s.width, 686);
  EXPECT_EQ(s.height, 518);
  EXPECT_EQ(ii.size_for(480, 640).width, 518);
  EXPECT_EQ(ii.size_for(480, 640).height, 686);
  // A fixed-size model has nothing to keep: stretch.
  TensorInfo fixed{"image", DType::f32, Shape({1, 3, 168, 224}), {}};
  ImageInput f("m.onnx", fixed, {}, ResizeMode::keep_aspect, Normalize{});
  EXPECT_EQ(f.resize(), ResizeMode::stretch);
  EXPECT_EQ(f.size_for(640, 480).width, 224);
}

TEST(ImageInput, NhwcIsTheNchwInputInterleaved) {
  TensorInfo nchw{"x", DType::f32, Shape({1, 3, 6, 10}), {}};
  TensorInfo nhwc{"x", DType::f32, Shape({1, 6, 10, 3}), {}};
  ImageInput a("a.onnx", nchw, {}, ResizeMode::stretch, Normalize{});
  ImageInput b("b.onnx", nhwc, {}, ResizeMode::stretch, Normalize{});
  ASSERT_FALSE(a.nhwc());
  ASSERT_TRUE(b.nhwc());
  Image img(23, 17, PixelFormat::bgr8);
  for (size_t i = 0; i < img.stride() * 17; ++i) img.data()[i] = static_cast<uint8_t>(i * 7);
  const ImageView v = img.view();
  Tensor ta, tb;
  std::vector<LetterboxParams> pa, pb;
  ASSERT_TRUE(a.fill(std::span<const ImageView>(&v, 1), ta, pa).ok());
  ASSERT_TRUE(b.fill(std::span<const ImageView>(&v, 1), tb, pb).ok());
  for (int c = 0; c < 3; ++c)
    for (int k = 0; k < 60; ++k) ASSERT_EQ(ta.as<float>()[c * 60 + k], tb.as<float>()[k * 3 + c]);
}

TEST(ImageInput, ErrorsNameTheModelAndTheTensor) {
  TensorInfo two_ch{"x", DType::f32, Shape({1, 2, 6, 10}), {}};
  EXPECT_THROW(
      {
        try {
          ImageInput("m.onnx", two_ch, {}, ResizeMode::stretch, Normalize{});
        } catch (const Error& e) {
          EXPECT_NE(std::string(e.what()).find("model 'm.onnx': input 'x' [1, 2, 6, 10]"),
                    std::string::npos)
              << e.what();
          throw;
        }
      },
      Error);
  TensorInfo dyn{"x", DType::f32, Shape({1, 3, -1, -1}), {}};
  try {
    ImageInput("d.onnx", dyn, {}, ResizeMode::keep_aspect, Normalize{});
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("set input_size"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace percept
