#include "percept/pipeline/config.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "support/config_test_fixture.hpp"

namespace percept {
namespace {

namespace fs = std::filesystem;

using ConfigTest = test::ConfigFileTest;  // a folder with m.onnx and clip.avi to point at

constexpr const char* kGood = R"(cameras:
  - id: front
    source: video
    path: clip.avi
  - id: side
    path: clip.avi
models:
  - id: det
    path: m.onnx
    cameras: [front]
    conf: 0.3
    iou: 0.5
    layout: v8
    input_size: [64, 64]
    threads: 2
output:
  dir: results
  video: false
)";

TEST_F(ConfigTest, ReadsEveryKeyAndResolvesPaths) {
  auto cfg = load_pipeline_config(write(kGood));
  ASSERT_EQ(cfg.cameras.size(), 2u);
  EXPECT_EQ(cfg.cameras[1].id, "side");
  EXPECT_EQ(cfg.cameras[0].source.path, (dir_ / "clip.avi").string());
  ASSERT_EQ(cfg.models.size(), 1u);
  const auto& d = cfg.models[0].task;
  EXPECT_FLOAT_EQ(*d.conf, 0.3f);
  EXPECT_FLOAT_EQ(*d.iou, 0.5f);
  EXPECT_EQ(*d.conventions.output_layout, "v8");
  EXPECT_EQ(d.conventions.input_size->width, 64);
  EXPECT_EQ(d.conventions.source.at("input_size"), "config");
  EXPECT_EQ(d.backend.intra_op_threads, 2);
  EXPECT_EQ(cfg.models[0].cameras, std::vector<std::string>{"front"});
  EXPECT_EQ(cfg.output.dir, (dir_ / "results").string());
  EXPECT_FALSE(cfg.output.video);
  EXPECT_TRUE(cfg.output.jsonl);
}

TEST_F(ConfigTest, RuntimeKeysAndModes) {
  auto cfg = load_pipeline_config(write(R"(mode: live
cameras:
  - {id: syn, source: synthetic, fps: 60, width: 320, height: 200, frames: 10, objects: 2,
     seed: 4, queue_depth: 2, deadline_ms: 33, drop_late: true, pace: false}
  - {id: usb, source: device, path: /dev/video0}
models:
  - {id: det, path: m.onnx, max_batch: 4, max_wait_us: 1500, spin_wait: true}
fusion: {distance: p10}
output: {images: true, images_every: 5, queue_depth: 8}
)"));
  EXPECT_EQ(cfg.mode, PipelineMode::live);
  const auto& syn = cfg.cameras[0];
  EXPECT_EQ(syn.source.kind, SourceKind::synthetic);
  EXPECT_DOUBLE_EQ(syn.source.fps, 60);
  EXPECT_EQ(syn.source.height, 200);
  EXPECT_EQ(syn.source.frames, 10);
  EXPECT_EQ(syn.queue_depth, 2u);
  EXPECT_DOUBLE_EQ(syn.deadline_ms, 33);
  EXPECT_TRUE(syn.drop_late);
  EXPECT_FALSE(*syn.pace);
  EXPECT_EQ(cfg.cameras[1].source.path, "/dev/video0");  // a device, not a relative path
  EXPECT_EQ(cfg.models[0].max_batch, 4u);
  EXPECT_EQ(cfg.models[0].max_wait_us, 1500);
  EXPECT_TRUE(cfg.models[0].task.backend.spin_wait);
  EXPECT_EQ(cfg.distance, DistanceStat::p10);
  EXPECT_TRUE(cfg.output.images);
  EXPECT_EQ(cfg.output.images_every, 5);
  EXPECT_EQ(cfg.output.queue_depth, 8u);
  // Without `mode`, files mean lossless and any live camera means live.
  EXPECT_EQ(load_pipeline_config(write("cameras:\n  - {id: a, path: clip.avi}\nmodels:\n"
                                       "  - {id: m, path: m.onnx}\n"))
                .mode,
            PipelineMode::lossless);
  EXPECT_EQ(load_pipeline_config(write("cameras:\n  - {id: a, source: synthetic}\nmodels:\n"
                                       "  - {id: m, path: m.onnx}\n"))
                .mode,
            PipelineMode::live);
}

TEST_F(ConfigTest, ReconnectKeysForLiveCameras) {
  auto cfg = load_pipeline_config(write(R"(cameras:
  - id: usb
    source: device
    path: /dev/video0
    reconnect: {attempts: 3, backoff_ms: 50, backoff_max_ms: 400}
  - {id: rtsp, source: stream, path: "rtsp://cam/1", reconnect: {backoff_ms: 8000}}
  - {id: plain, source: stream, path: "rtsp://cam/2"}
models:
  - {id: det, path: m.onnx}
)"));
  ASSERT_TRUE(cfg.cameras[0].reconnect.has_value());
  EXPECT_EQ(cfg.cameras[0].reconnect->attempts, 3);
  EXPECT_DOUBLE_EQ(cfg.cameras[0].reconnect->backoff_ms, 50);
  EXPECT_DOUBLE_EQ(cfg.cameras[0].reconnect->backoff_max_ms, 400);
  // Only backoff_ms given, above the default cap: the cap follows it rather than failing.
  EXPECT_EQ(cfg.cameras[1].reconnect->attempts, 10);
  EXPECT_DOUBLE_EQ(cfg.cameras[1].reconnect->backoff_max_ms, 8000);
  EXPECT_FALSE(cfg.cameras[2].reconnect.has_value());

  const std::string models = "models:\n  - {id: m, path: m.onnx}\n";
  expect_error("cameras:\n  - id: a\n    path: clip.avi\n    reconnect: {attempts: 2}\n" + models,
               4, {"cameras[0].reconnect is only used by device and stream sources"});
  expect_error(
      "cameras:\n  - id: a\n    source: device\n    path: /dev/video0\n"
      "    reconnect: {attempts: -1}\n" +
          models,
      5, {"cameras[0].reconnect.attempts", "out of range"});
  expect_error(
      "cameras:\n  - id: a\n    source: device\n    path: /dev/video0\n"
      "    reconnect:\n      backoff_ms: 500\n      backoff_max_ms: 100\n" +
          models,
      7, {"backoff_max_ms must not be below backoff_ms"});
  expect_error(
      "cameras:\n  - id: a\n    source: device\n    path: /dev/video0\n"
      "    reconnect: {retries: 3}\n" +
          models,
      5, {"unknown key 'retries'", "attempts, backoff_ms, backoff_max_ms"});
  expect_error(
      "cameras:\n  - id: a\n    source: device\n    path: /dev/video0\n"
      "    reconnect: 3\n" +
          models,
      5, {"cameras[0].reconnect must be a mapping"});
}

TEST_F(ConfigTest, ModelWithoutCamerasServesAll) {
  auto cfg = load_pipeline_config(
      write("cameras:\n  - {id: a, path: clip.avi}\n  - {id: b, path: clip.avi}\n"
            "models:\n  - {id: m, path: m.onnx}\n"));
  EXPECT_EQ(cfg.models[0].cameras.size(), 2u);
}

TEST_F(ConfigTest, UnknownKeyNamesLineAndKey) {
  expect_error(
      "cameras:\n  - id: a\n    path: clip.avi\nmodels:\n  - id: m\n    path: m.onnx\n"
      "    confidence: 0.5\n",
      7, {"unknown key 'confidence'", "models[0]", "conf"});
  expect_error("cameras: []\nmodel: {}\n", 2, {"unknown key 'model'"});
}

// A camera id names files and folders in output.dir: one that would write outside it is refused
// with its line (issue 24: `../x` wrote outside output.dir).
TEST_F(ConfigTest, CameraIdsMustBeSafeFileNames) {
  for (const char* id : {"../x", "a/b", "..", "c d"})
    expect_error(std::string("cameras:\n  - id: '") + id +
                     "'\n    path: clip.avi\nmodels:\n  - {id: m, path: m.onnx}\n",
                 2, {"cameras[0].id '" + std::string(id) + "' names files in output.dir"});
  auto cfg =
      load_pipeline_config(write("cameras:\n  - {id: front-left.v2_cam, path: clip.avi}\nmodels:\n "
                                 " - {id: m, path: m.onnx}\n"));
  EXPECT_EQ(cfg.cameras[0].id, "front-left.v2_cam");
}

// max_image_pixels: the decoded-size limit of image files and video frames (issue 24's
// decompression bomb); 100 MP unless set, and not a key of cameras that decode nothing.
TEST_F(ConfigTest, MaxImagePixels) {
  auto cfg = load_pipeline_config(
      write("cameras:\n  - {id: a, path: clip.avi}\n  - {id: b, path: clip.avi, "
            "max_image_pixels: 2073600}\nmodels:\n  - {id: m, path: m.onnx}\n"));
  EXPECT_EQ(cfg.cameras[0].source.max_image_pixels, 100'000'000u);
  EXPECT_EQ(cfg.cameras[1].source.max_image_pixels, 2'073'600u);
  expect_error(
      "cameras:\n  - {id: a, path: clip.avi, max_image_pixels: 0}\nmodels:\n"
      "  - {id: m, path: m.onnx}\n",
      2, {"cameras[0].max_image_pixels = 0 is out of range"});
  expect_error(
      "cameras:\n  - {id: a, source: synthetic, max_image_pixels: 10}\nmodels:\n"
      "  - {id: m, path: m.onnx}\n",
      2, {"cameras[0].max_image_pixels is only used by images, video"});
}

TEST_F(ConfigTest, WrongTypesAndRanges) {
  const std::string head =
      "cameras:\n  - id: a\n    path: clip.avi\nmodels:\n  - id: m\n"
      "    path: m.onnx\n";
  expect_error(head + "    conf: high\n", 7, {"models[0].conf must be a number", "'high'"});
  expect_error(head + "    conf: 1.5\n", 7, {"out of range [0, 1]"});
  expect_error(head + "    threads: -1\n", 7, {"models[0].threads"});
  expect_error(head + "    input_size: 640\n", 7, {"[width, height]"});
  expect_error(head + "    layout: ssd\n", 7, {"models[0].layout: 'layout' is 'ssd'"});
  expect_error(head + "    task: obb\n", 7, {"models[0].task: 'task' is 'obb'"});
  expect_error(head + "    cameras: [nope]\n", 7, {"no camera with id 'nope'"});
  expect_error(head + "output:\n  video: maybe\n", 8, {"output.video must be true or false"});
  expect_error(
      "cameras:\n  - id: a\n    path: clip.avi\n    fps: 30\nmodels:\n"
      "  - {id: m, path: m.onnx}\n",
      4, {"cameras[0].fps is only used by synthetic sources"});
  expect_error(
      "mode: fast\ncameras:\n  - {id: a, path: clip.avi}\nmodels:\n"
      "  - {id: m, path: m.onnx}\n",
      1, {"mode: 'fast'"});
}

TEST_F(ConfigTest, MissingFilesAndKeys) {
  expect_error("cameras:\n  - id: a\n    path: missing.avi\nmodels:\n  - {id: m, path: m.onnx}\n",
               3, {"file not found", "missing.avi"});
  expect_error("cameras:\n  - id: a\n    path: clip.avi\nmodels:\n  - id: m\n    path: x.onnx\n", 6,
               {"models[0].path", "x.onnx"});
  expect_error("cameras:\n  - id: a\nmodels:\n  - {id: m, path: m.onnx}\n", 2,
               {"cameras[0].path must be a string"});
  expect_error(
      "cameras:\n  - {id: a, path: clip.avi}\n  - {id: a, path: clip.avi}\n"
      "models:\n  - {id: m, path: m.onnx}\n",
      3, {"camera id 'a' is used twice"});
}

TEST_F(ConfigTest, SyntaxErrorNamesLine) {
  expect_error("cameras:\n  - id: a\n    path: [unclosed\nmodels: []\n", 4, {"YAML syntax error"});
}

TEST_F(ConfigTest, MissingFile) {
  EXPECT_THROW(load_pipeline_config((dir_ / "none.yaml").string()), Error);
}

}  // namespace
}  // namespace percept
