// The offline runner end to end on real files: an image folder through a constant-output model,
// checking every output file line by line.
#include "percept/pipeline/runner.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/videoio.hpp>

namespace percept {
namespace {

namespace fs = std::filesystem;

class RunnerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("percept_runner_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "frames");
    for (int i = 0; i < 5; ++i)
      cv::imwrite((dir_ / "frames" / ("f" + std::to_string(i) + ".png")).string(),
                  cv::Mat(64, 128, CV_8UC3, cv::Scalar(20 * i, 90, 90)));
    std::ofstream(dir_ / "frames" / "notes.txt") << "not an image: skipped by extension";
  }
  void TearDown() override { fs::remove_all(dir_); }

  PipelineConfig config() {
    PipelineConfig cfg;
    cfg.file = "test";
    CameraConfig cam;
    cam.id = "cam0";
    cam.source = {"cam0", SourceKind::images, (dir_ / "frames").string()};
    cfg.cameras.push_back(cam);
    ModelConfig m;
    m.id = "det";
    m.detector.model_path = std::string(PERCEPT_TEST_DATA) + "/const_v8.onnx";
    m.cameras = {"cam0"};
    cfg.models.push_back(m);
    cfg.output.dir = (dir_ / "out").string();
    return cfg;
  }
  fs::path dir_;
};

TEST_F(RunnerTest, WritesEveryFrameToEveryOutput) {
  RunSummary s = run_pipeline(config(), {});
  EXPECT_EQ(s.frames, 5);
  EXPECT_EQ(s.failed_frames, 0);
  EXPECT_EQ(s.detections, 15);  // 3 per frame
  EXPECT_EQ(s.end_to_end_ns.count(), 5u);
  EXPECT_GT(s.fps(), 0);

  std::ifstream f(dir_ / "out" / "detections.jsonl");
  std::string line;
  int n = 0;
  while (std::getline(f, line)) {
    auto j = nlohmann::json::parse(line);
    EXPECT_EQ(j["camera"], "cam0");
    EXPECT_EQ(j["frame"], n);
    EXPECT_EQ(j["model"], "det");
    ASSERT_EQ(j["detections"].size(), 3u);
    EXPECT_EQ(j["detections"][0]["label"], "cat");
    EXPECT_DOUBLE_EQ(j["detections"][0]["box"][0].get<double>(), 30.0);
    ++n;
  }
  EXPECT_EQ(n, 5);

  cv::VideoCapture cap((dir_ / "out" / "cam0.annotated.avi").string());
  ASSERT_TRUE(cap.isOpened());
  EXPECT_EQ(static_cast<int>(cap.get(cv::CAP_PROP_FRAME_COUNT)), 5);
  cv::Mat frame;
  ASSERT_TRUE(cap.read(frame));
  EXPECT_EQ(frame.cols, 128);

  auto summary = nlohmann::json::parse(std::ifstream(dir_ / "out" / "summary.json"));
  EXPECT_EQ(summary["frames"], 5);
  EXPECT_TRUE(summary["latency_ms"]["end_to_end"].contains("p99"));
}

TEST_F(RunnerTest, MaxFramesAndCorruptImagesAreCountedNotFatal) {
  std::ofstream(dir_ / "frames" / "f2.png", std::ios::trunc) << "corrupt";
  RunOptions opt;
  opt.max_frames = 4;
  RunSummary s = run_pipeline(config(), opt);
  EXPECT_EQ(s.frames, 3);  // f0, f1, f3 (f2 failed to decode and counts against the limit)
  EXPECT_EQ(s.failed_frames, 1);
}

TEST_F(RunnerTest, UnwritableOutputIsASetupError) {
  auto cfg = config();
  std::ofstream(dir_ / "file") << "x";
  cfg.output.dir = (dir_ / "file" / "sub").string();
  EXPECT_THROW(run_pipeline(cfg, {}), Error);
}

}  // namespace
}  // namespace percept
