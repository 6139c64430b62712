// The whole detect path (open_task + the Task skeleton) on models whose output is a known constant
// (tests/data/ make_test_models.py): letterbox geometry, decode of each layout, NMS and mapping
// back to the frame, against boxes computed by hand.
#include "percept/tasks/detect/detect_task.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace percept {
namespace {

const std::string kData = PERCEPT_TEST_DATA;

// A 128x64 frame letterboxed into 64x64: scale 0.5, 16 rows of padding on top. An input box
// (15,15)-(25,25) maps to ((15-0)/0.5, (15-16)/0.5, ...) = (30,-2,50,18), clipped to (30,0,50,18).
Image frame_128x64() {
  Image img(128, 64, PixelFormat::bgr8);
  std::fill(img.data(), img.data() + img.stride() * 64, uint8_t{90});
  return img;
}

TaskConfig detect_config(const std::string& model) {
  TaskConfig cfg;
  cfg.model_path = kData + "/" + model;
  cfg.conventions.task = "detect";
  return cfg;
}

Detections run(Task& d, const Image& img) {
  ModelOutput out;
  const ImageView v = img.view();
  Status st = d.run(std::span<const ImageView>(&v, 1), std::span<ModelOutput>(&out, 1));
  EXPECT_TRUE(st.ok()) << st.error().message();
  EXPECT_TRUE(has(out.contents, Content::detections));
  return out.detections;
}

void expect_box(const Detection& d, int cls, float score, Box b) {
  EXPECT_EQ(d.class_id, cls);
  EXPECT_NEAR(d.score, score, 1e-5);
  EXPECT_NEAR(d.box.x1, b.x1, 1e-3);
  EXPECT_NEAR(d.box.y1, b.y1, 1e-3);
  EXPECT_NEAR(d.box.x2, b.x2, 1e-3);
  EXPECT_NEAR(d.box.y2, b.y2, 1e-3);
}

class DetectorLayouts : public ::testing::TestWithParam<const char*> {};

TEST_P(DetectorLayouts, BoxesInFramePixels) {
  auto det = open_task(detect_config(std::string("const_") + GetParam() + ".onnx"));
  EXPECT_EQ(det->name(), "detect");
  EXPECT_EQ(det->input_size().width, 64);
  ASSERT_EQ(det->labels().size(), 2u);
  EXPECT_EQ(det->label(1), "dog");
  EXPECT_EQ(det->label(7), "class_7");
  Detections out = run(*det, frame_128x64());
  const bool v8 = std::string(GetParam()) == "v8";
  ASSERT_EQ(out.size(), v8 ? 3u : 2u);
  expect_box(out[0], 0, 0.9f, {30, 0, 50, 18});
  // (44,22)-(56,42) in the input -> (88, 12)-(112, 52) in the frame.
  expect_box(out.back(), 1, 0.6f, {88, 12, 112, 52});
  if (v8) expect_box(out[1], 1, 0.7f, {32, 0, 52, 20});  // other class at the same place
}

INSTANTIATE_TEST_SUITE_P(AllLayouts, DetectorLayouts, ::testing::Values("v8", "v5", "e2e"));

TEST(Detector, FixedBatchModelRunsFrameByFrame) {
  auto det = open_task(detect_config("const_v8.onnx"));
  EXPECT_FALSE(det->dynamic_batch());
  Image a = frame_128x64();
  Image b(64, 128, PixelFormat::bgr8);  // portrait: padding left and right instead
  std::fill(b.data(), b.data() + b.stride() * 128, uint8_t{10});
  const ImageView frames[] = {a.view(), b.view()};
  ModelOutput out[2];
  StageTimes t;
  ASSERT_TRUE(det->run(frames, out, &t).ok());
  EXPECT_EQ(out[0].detections.size(), 3u);
  // Portrait 64x128 -> 32x64 at pad_left 16: input (15,15)-(25,25) -> (-2, 30)-(18, 50).
  expect_box(out[1].detections[0], 0, 0.9f, {0, 30, 18, 50});
  EXPECT_GT(t.inference_ns, 0);
}

TEST(Detector, ConfigOverridesMetadata) {
  auto labels = (std::filesystem::temp_directory_path() / "percept_det_labels.txt").string();
  std::ofstream(labels) << "tabby\nbeagle\n";
  TaskConfig cfg = detect_config("const_v8.onnx");
  cfg.conventions.labels = load_labels_file(labels).value_or_throw();
  cfg.conventions.source["labels"] = "test";
  cfg.conf = 0.65f;
  cfg.conventions.output_layout = "v8";
  auto det = open_task(cfg);
  EXPECT_EQ(det->label(0), "tabby");
  Detections out = run(*det, frame_128x64());
  ASSERT_EQ(out.size(), 2u);  // 0.6 is now below the threshold
}

TEST(Detector, RefusesModelsItCannotFeed) {
  for (const char* m : {"two_inputs.onnx", "int64_input.onnx", "identity_dynamic.onnx"}) {
    try {
      open_task(detect_config(m));
      ADD_FAILURE() << m << ": no error";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::model) << m << ": " << e.what();
    }
  }
  TaskConfig cfg = detect_config("const_v8.onnx");
  cfg.conventions.input_size = InputSize{320, 320};  // the model is fixed at 64x64
  cfg.conventions.source["input_size"] = "config";
  try {
    open_task(cfg);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("does not match input 'images'"), std::string::npos);
  }
  cfg.conventions.input_size.reset();
  cfg.conventions.output_layout = "end2end";  // [1, 6, 5] cannot be end2end
  EXPECT_THROW(open_task(cfg), Error);
}

TEST(Detector, EmptyFrameIsAnErrorNotACrash) {
  auto det = open_task(detect_config("const_v8.onnx"));
  ImageView empty;
  ModelOutput out;
  Status st = det->run(std::span<const ImageView>(&empty, 1), std::span<ModelOutput>(&out, 1));
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code(), ErrorCode::invalid_argument);
  EXPECT_EQ(run(*det, frame_128x64()).size(), 3u);  // and it keeps working
}

}  // namespace
}  // namespace percept
