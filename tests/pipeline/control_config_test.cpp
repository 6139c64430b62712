// `control:`, camera `priority:` and model `variants:` in the config (docs/CONTROL.md): what is
// read, and each impossible combination refused with its FILE:LINE.
#include <gtest/gtest.h>

#include <filesystem>

#include "support/config_test_fixture.hpp"

namespace percept {
namespace {

using ControlConfigTest = test::ConfigFileTest;

const std::string kCameras =
    "cameras:\n"
    "  - id: a\n"
    "    path: clip.avi\n"
    "    deadline_ms: 33\n"
    "  - id: b\n"
    "    path: clip.avi\n"
    "    priority: -1\n";

TEST_F(ControlConfigTest, ReadsEveryKey) {
  std::filesystem::copy_file(dir_ / "m.onnx", dir_ / "light.onnx");
  const PipelineConfig cfg = load_pipeline_config(
      write(kCameras +
            "models:\n  - id: m\n    path: m.onnx\n    variants: [light.onnx]\n"
            "control:\n  enabled: true\n  interval_s: 0.1\n  window_s: 1\n  miss_high: 0.1\n"
            "  miss_low: 0.02\n  p99_high: 1.2\n  p99_low: 0.7\n  settle_s: 0.5\n"
            "  restore_after_s: 3\n  max_restore_after_s: 30\n  max_skip: 8\n  min_frames: 5\n"
            "  max_busy: 0.7\n"));
  const ControlConfig& c = cfg.control;
  EXPECT_TRUE(c.enabled);
  EXPECT_DOUBLE_EQ(c.interval_s, 0.1);
  EXPECT_DOUBLE_EQ(c.window_s, 1);
  EXPECT_DOUBLE_EQ(c.miss_high, 0.1);
  EXPECT_DOUBLE_EQ(c.miss_low, 0.02);
  EXPECT_DOUBLE_EQ(c.p99_high, 1.2);
  EXPECT_DOUBLE_EQ(c.p99_low, 0.7);
  EXPECT_DOUBLE_EQ(c.settle_s, 0.5);
  EXPECT_DOUBLE_EQ(c.restore_after_s, 3);
  EXPECT_DOUBLE_EQ(c.max_restore_after_s, 30);
  EXPECT_EQ(c.max_skip, 8);
  EXPECT_EQ(c.min_frames, 5);
  EXPECT_DOUBLE_EQ(c.max_busy, 0.7);
  EXPECT_EQ(cfg.cameras[0].priority, 0);
  EXPECT_EQ(cfg.cameras[1].priority, -1);
  ASSERT_EQ(cfg.models[0].variants.size(), 1u);
  EXPECT_EQ(cfg.models[0].variants[0], (dir_ / "light.onnx").lexically_normal().string());
}

TEST_F(ControlConfigTest, OffByDefault) {
  const PipelineConfig cfg =
      load_pipeline_config(write(kCameras + "models:\n  - id: m\n    path: m.onnx\n"));
  EXPECT_FALSE(cfg.control.enabled);
}

TEST_F(ControlConfigTest, ThresholdsThatWouldOscillateAreRefused) {
  const std::string models = "models:\n  - id: m\n    path: m.onnx\n";
  expect_error(
      kCameras + models + "control:\n  enabled: true\n  miss_high: 0.05\n  miss_low: 0.05\n", 14,
      {"control.miss_low", "must be below control.miss_high", "oscillate"});
  expect_error(kCameras + models + "control:\n  enabled: true\n  p99_low: 1.5\n", 13,
               {"control.p99_low", "must be below control.p99_high"});
  expect_error(kCameras + models + "control:\n  enabled: true\n  interval_s: 1\n  window_s: 0.5\n",
               14, {"control.window_s", "at least control.interval_s"});
  expect_error(kCameras + models + "control:\n  restore_after_s: 10\n  max_restore_after_s: 5\n",
               13, {"max_restore_after_s must be at least restore_after_s"});
  expect_error(kCameras + models + "control:\n  enabled: true\n  miss_high: 2\n", 13,
               {"control.miss_high", "out of range [0, 1]"});
  expect_error(kCameras + models + "control:\n  interval_s: 0.01\n  window_s: 60\n", 13,
               {"over 1000 intervals"});
  expect_error(kCameras + models + "control:\n  enabled: true\n  hysteresis: 3\n", 13,
               {"unknown key 'hysteresis' in control"});
}

TEST_F(ControlConfigTest, AControllerWithNothingToJudgeOrNothingToDoIsRefused) {
  const std::string models = "models:\n  - id: m\n    path: m.onnx\n";
  expect_error(
      "cameras:\n  - id: a\n    path: clip.avi\n    priority: 1\n  - id: b\n"
      "    path: clip.avi\n" +
          models + "control:\n  enabled: true\n",
      11, {"no camera has a deadline_ms"});
  expect_error("cameras:\n  - id: a\n    path: clip.avi\n    deadline_ms: 33\n" + models +
                   "control:\n  enabled: true\n",
               9, {"nothing to act on", "variants", "max_wait_us", "priority"});
  // Different priorities with max_skip 1 skip nothing.
  expect_error(kCameras + models + "control:\n  enabled: true\n  max_skip: 1\n", 12,
               {"nothing to act on"});
  // Any one lever is enough: a batch wait, here.
  EXPECT_NO_THROW(
      load_pipeline_config(write("cameras:\n  - id: a\n    path: clip.avi\n    deadline_ms: 33\n" +
                                 models + "    max_wait_us: 500\ncontrol:\n  enabled: true\n")));
}

TEST_F(ControlConfigTest, VariantsAreCheckedFiles) {
  expect_error(kCameras +
                   "models:\n  - id: m\n    path: m.onnx\n    variants: [nope.onnx]\n"
                   "control: {enabled: true}\n",
               11, {"models[0].variants[0]", "nope.onnx"});
  expect_error(kCameras +
                   "models:\n  - id: m\n    path: m.onnx\n    variants: [m.onnx]\n"
                   "control: {enabled: true}\n",
               11, {"models[0].variants[0] is the model itself"});
  expect_error(kCameras +
                   "models:\n  - id: m\n    path: m.onnx\n    variants: []\n"
                   "control: {enabled: true}\n",
               11, {"models[0].variants must be a non-empty list"});
  std::filesystem::copy_file(dir_ / "m.onnx", dir_ / "light.onnx");
  expect_error(kCameras + "models:\n  - id: m\n    path: m.onnx\n    variants: [light.onnx]\n", 11,
               {"variants are only used by the deadline controller", "control: {enabled: true}"});
}

TEST_F(ControlConfigTest, PriorityIsAnInteger) {
  expect_error(
      "cameras:\n  - id: a\n    path: clip.avi\n    priority: high\n"
      "models:\n  - id: m\n    path: m.onnx\n",
      4, {"cameras[0].priority must be an integer"});
}

}  // namespace
}  // namespace percept
