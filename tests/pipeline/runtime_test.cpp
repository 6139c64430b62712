// The pipeline runtime on real models and real files: lossless completeness and order, live
// drops and freshness under overload, dynamic batching, deadlines, and stopping mid-stream.
#include "percept/pipeline/runtime.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/videoio.hpp>
#include <thread>

#include "percept/io/synthetic_source.hpp"
#include "support/temp_dir.hpp"

namespace percept {
namespace {

namespace fs = std::filesystem;
const std::string kShapes = std::string(PERCEPT_MODELS) + "/shapes_yolov8.onnx";

class RuntimeTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = percept::test::fresh_test_dir("percept_runtime_"); }
  void TearDown() override { fs::remove_all(dir_); }

  static CameraConfig synthetic(const std::string& id, int64_t frames, double fps, uint64_t seed) {
    CameraConfig c;
    c.id = id;
    c.source.camera = id;
    c.source.kind = SourceKind::synthetic;
    c.source.width = 320;
    c.source.height = 240;
    c.source.frames = frames;
    c.source.fps = fps;
    c.source.seed = seed;
    return c;
  }
  ModelConfig shapes(const std::string& id, std::vector<std::string> cams, size_t max_batch,
                     int64_t max_wait_us = 0) {
    ModelConfig m;
    m.id = id;
    m.task.model_path = kShapes;
    m.task.backend.intra_op_threads = 1;
    m.cameras = std::move(cams);
    m.max_batch = max_batch;
    m.max_wait_us = max_wait_us;
    return m;
  }
  PipelineConfig config(PipelineMode mode) {
    PipelineConfig cfg;
    cfg.file = "test";
    cfg.mode = mode;
    cfg.output.dir = (dir_ / "out").string();
    cfg.output.video = false;
    return cfg;
  }
  // JSONL lines grouped per (camera, model), in file order.
  std::map<std::string, std::vector<nlohmann::json>> lines() {
    std::map<std::string, std::vector<nlohmann::json>> by;
    std::ifstream f(dir_ / "out" / "detections.jsonl");
    std::string line;
    while (std::getline(f, line)) {
      auto j = nlohmann::json::parse(line);
      by[j["camera"].get<std::string>() + "/" + j["model"].get<std::string>()].push_back(j);
    }
    return by;
  }
  fs::path dir_;
};

TEST_F(RuntimeTest, LosslessEveryFrameEveryModelInOrder) {
  auto cfg = config(PipelineMode::lossless);
  for (int i = 0; i < 3; ++i)
    cfg.cameras.push_back(synthetic("cam" + std::to_string(i), 25, 30, i));
  cfg.models.push_back(shapes("det", {"cam0", "cam1", "cam2"}, 4, 2000));
  cfg.models.push_back(shapes("det2", {"cam0"}, 1));  // a second model on one camera
  cfg.output.video = true;
  RunSummary s = run_pipeline(cfg, {});
  for (const auto& c : s.cameras) {
    EXPECT_EQ(c.captured, 25u) << c.id;
    EXPECT_EQ(c.completed, 25u) << c.id;
    EXPECT_EQ(c.slot_drops, 0u);
    EXPECT_EQ(c.published, 25u);
  }
  EXPECT_EQ(s.models[0].stats.frames, 75u);
  EXPECT_EQ(s.models[1].stats.frames, 25u);
  auto by = lines();
  ASSERT_EQ(by.size(), 4u);
  for (auto& [key, v] : by) {
    ASSERT_EQ(v.size(), 25u) << key;
    for (size_t i = 0; i < v.size(); ++i) EXPECT_EQ(v[i]["frame"], i) << key;  // capture order
    EXPECT_GT(v[5]["detections"].size(), 0u) << key;  // the model sees the shapes
  }
  cv::VideoCapture cap((dir_ / "out" / "cam1.annotated.avi").string());
  EXPECT_EQ(static_cast<int>(cap.get(cv::CAP_PROP_FRAME_COUNT)), 25);
  auto summary = nlohmann::json::parse(std::ifstream(dir_ / "out" / "summary.json"));
  EXPECT_EQ(summary["frames"], 75);
  EXPECT_EQ(summary["cameras"].size(), 3u);
}

// Synthetic frames' ground truth reaches the outputs: the detector finds the moving shapes.
TEST_F(RuntimeTest, DetectionsMatchSyntheticGroundTruth) {
  auto cfg = config(PipelineMode::lossless);
  cfg.cameras.push_back(synthetic("cam", 30, 30, 5));
  cfg.models.push_back(shapes("det", {"cam"}, 1));
  run_pipeline(cfg, {});
  SyntheticScene scene({320, 240, 4, 5, 30});
  Image img;
  int matched = 0, total = 0;
  auto by = lines();  // a range-for over lines()[...] would dangle
  for (const auto& line : by["cam/det"]) {
    ASSERT_TRUE(scene.next(img));
    for (const auto& o : scene.objects()) {
      ++total;
      for (const auto& d : line["detections"]) {
        Box b{d["box"][0].get<float>(), d["box"][1].get<float>(), d["box"][2].get<float>(),
              d["box"][3].get<float>()};
        if (d["class_id"] == o.class_id && iou(b, o.box) >= 0.5) {
          ++matched;
          break;
        }
      }
    }
  }
  EXPECT_EQ(total, 120);
  EXPECT_GE(matched, total * 8 / 10);
}

TEST_F(RuntimeTest, LiveOverloadDropsAndStaysFresh) {
  auto cfg = config(PipelineMode::live);
  // Two cameras at 400 FPS each: more than the model can infer on this machine.
  cfg.cameras.push_back(synthetic("a", 400, 400, 1));
  cfg.cameras.push_back(synthetic("b", 400, 400, 2));
  cfg.models.push_back(shapes("det", {"a", "b"}, 1));
  RunSummary s = run_pipeline(cfg, {});
  const auto& st = s.models[0].stats;
  uint64_t drops = 0;
  for (const auto& c : s.cameras) {
    EXPECT_EQ(c.captured, 400u);
    drops += c.slot_drops;
    EXPECT_EQ(c.completed + c.unprocessed, 400u);  // every frame accounted for
  }
  EXPECT_GT(drops, 0u);
  // Fresh results: a frame waits for at most the frame in inference and the one before it in
  // its slot, so its age is bounded by a few inference times, never by the backlog.
  const double infer_p99 =
      static_cast<double>(st.inference_ns.quantile(0.99) + st.preprocess_ns.quantile(0.99) +
                          st.postprocess_ns.quantile(0.99));
  for (const auto& c : s.cameras)
    EXPECT_LT(static_cast<double>(c.end_to_end_ns.quantile(0.99)), 4 * infer_p99 + 20e6) << c.id;
}

// Two models on one overloaded live camera work on the same frames, so every published frame
// has both results (what the fuser needs), even though one model is much slower.
TEST_F(RuntimeTest, ModelsOfOneCameraStayOnTheSameFrames) {
  auto cfg = config(PipelineMode::live);
  cfg.cameras.push_back(synthetic("rgb", 300, 300, 1));
  cfg.models.push_back(shapes("fast", {"rgb"}, 1));
  auto slow = shapes("slow", {"rgb"}, 1);
  slow.task.conventions.input_size = InputSize{320, 320};
  slow.task.backend.graph_optimization = GraphOptimization::disable;  // slower on purpose
  cfg.models.push_back(slow);
  RunSummary s = run_pipeline(cfg, {});
  const auto& cam = s.cameras[0];
  EXPECT_GT(cam.slot_drops, 0u);
  EXPECT_EQ(cam.partial, 0u);
  EXPECT_EQ(s.models[0].stats.frames, s.models[1].stats.frames);
  EXPECT_EQ(s.models[0].stats.frames, cam.completed);
  auto by = lines();
  ASSERT_EQ(by["rgb/fast"].size(), by["rgb/slow"].size());
  for (size_t i = 0; i < by["rgb/fast"].size(); ++i)
    EXPECT_EQ(by["rgb/fast"][i]["frame"], by["rgb/slow"][i]["frame"]);
}

TEST_F(RuntimeTest, DynamicBatchingFormsBatchesWithinMaxWait) {
  auto cfg = config(PipelineMode::live);
  for (int i = 0; i < 3; ++i) cfg.cameras.push_back(synthetic("c" + std::to_string(i), 90, 60, i));
  cfg.models.push_back(shapes("det", {"c0", "c1", "c2"}, 4, 4000));
  RunSummary s = run_pipeline(cfg, {});
  const auto& st = s.models[0].stats;
  uint64_t multi = 0;
  for (size_t n = 2; n < st.batch_sizes.size(); ++n) multi += st.batch_sizes[n];
  EXPECT_GT(multi, 0u) << "no batch larger than 1";
  EXPECT_EQ(st.batch_sizes.size(), 5u);  // sizes 0..4, never above max_batch
  // Waiting for a fuller batch adds at most max_wait_us before inference starts: the queue
  // time of a frame is bounded by the wait plus the batch in inference before it.
  const double bound =
      4e6 +
      2.0 * static_cast<double>(st.inference_ns.quantile(0.99) + st.preprocess_ns.quantile(0.99)) +
      20e6;
  EXPECT_LT(static_cast<double>(st.queue_ns.quantile(0.5)), bound);
}

TEST_F(RuntimeTest, DeadlineMissesAreCountedAndOptionallyDropped) {
  auto cfg = config(PipelineMode::lossless);
  auto cam = synthetic("cam", 10, 30, 1);
  cam.deadline_ms = 0.001;  // nothing can make 1 us
  cfg.cameras.push_back(cam);
  cfg.models.push_back(shapes("det", {"cam"}, 1));
  RunSummary s = run_pipeline(cfg, {});
  EXPECT_EQ(s.cameras[0].deadline_misses, 10u);
  EXPECT_EQ(s.cameras[0].published, 10u);
  auto by = lines();
  ASSERT_EQ(by["cam/det"].size(), 10u);
  for (const auto& l : by["cam/det"]) EXPECT_EQ(l["deadline_missed"], true);

  cfg.cameras[0].drop_late = true;
  s = run_pipeline(cfg, {});
  EXPECT_EQ(s.cameras[0].published, 0u);
  EXPECT_EQ(s.cameras[0].late_dropped + s.models[0].stats.dropped_late, 10u);
  EXPECT_TRUE(lines().empty());
}

TEST_F(RuntimeTest, StopMidStreamLosesNothingAccepted) {
  auto cfg = config(PipelineMode::lossless);
  cfg.cameras.push_back(synthetic("a", -1, 30, 1));  // endless
  cfg.cameras.push_back(synthetic("b", -1, 30, 2));
  cfg.models.push_back(shapes("det", {"a", "b"}, 2, 1000));
  std::atomic<bool> stop{false};
  RuntimeOptions opt;
  opt.stop_flag = &stop;
  std::thread stopper([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(700));
    stop = true;
  });
  RunSummary s = run_pipeline(cfg, opt);
  stopper.join();
  auto by = lines();
  for (const auto& c : s.cameras) {
    EXPECT_GT(c.captured, 0u);
    EXPECT_EQ(c.completed, c.captured) << c.id;
    EXPECT_EQ(by[c.id + "/det"].size(), c.captured) << c.id;  // every accepted frame written
  }
}

TEST_F(RuntimeTest, ImageFolderWithCorruptFileAndConstModel) {
  fs::create_directories(dir_ / "frames");
  for (int i = 0; i < 5; ++i)
    cv::imwrite((dir_ / "frames" / ("f" + std::to_string(i) + ".png")).string(),
                cv::Mat(64, 128, CV_8UC3, cv::Scalar(20 * i, 90, 90)));
  std::ofstream(dir_ / "frames" / "f2.png", std::ios::trunc) << "corrupt";
  auto cfg = config(PipelineMode::lossless);
  CameraConfig cam;
  cam.id = "cam0";
  cam.source.camera = "cam0";
  cam.source.kind = SourceKind::images;
  cam.source.path = (dir_ / "frames").string();
  cfg.cameras.push_back(cam);
  ModelConfig m;
  m.id = "det";
  m.task.model_path = std::string(PERCEPT_TEST_DATA) + "/const_v8.onnx";
  m.cameras = {"cam0"};
  cfg.models.push_back(m);
  cfg.output.video = true;
  cfg.output.images = true;
  RunSummary s = run_pipeline(cfg, {});
  EXPECT_EQ(s.cameras[0].captured, 4u);
  EXPECT_EQ(s.cameras[0].read_errors, 1u);
  EXPECT_EQ(s.failed(), 1u);
  auto v = lines()["cam0/det"];
  ASSERT_EQ(v.size(), 4u);
  EXPECT_EQ(v[0]["detections"][0]["label"], "cat");
  EXPECT_DOUBLE_EQ(v[0]["detections"][0]["box"][0].get<double>(), 30.0);
  EXPECT_TRUE(fs::exists(dir_ / "out" / "cam0" / "00000000.jpg"));
  EXPECT_TRUE(fs::exists(dir_ / "out" / "cam0.annotated.avi"));
}

TEST_F(RuntimeTest, UnopenableOutputOrSourceIsASetupError) {
  auto cfg = config(PipelineMode::lossless);
  cfg.cameras.push_back(synthetic("a", 5, 30, 1));
  cfg.models.push_back(shapes("det", {"a"}, 1));
  std::ofstream(dir_ / "file") << "x";
  cfg.output.dir = (dir_ / "file" / "sub").string();
  EXPECT_THROW(run_pipeline(cfg, {}), Error);
  cfg.output.dir = (dir_ / "out").string();
  cfg.cameras[0].source.kind = SourceKind::video;
  cfg.cameras[0].source.path = (dir_ / "missing.avi").string();
  EXPECT_THROW(run_pipeline(cfg, {}), Error);
}

}  // namespace
}  // namespace percept

namespace percept {
namespace {

// A detector and a depth model on one camera: every published detection gets the distance the
// fuser took from the same frame's depth map (so it lies within that map's range), and the
// lines say which unit it is in; the depth lines carry the map's statistics.
TEST_F(RuntimeTest, DetectionsGetDistancesFromTheDepthModelOfTheirCamera) {
  auto cfg = config(PipelineMode::lossless);
  cfg.cameras.push_back(synthetic("rgb", 12, 30, 5));
  cfg.models.push_back(shapes("det", {"rgb"}, 1));
  ModelConfig depth;
  depth.id = "depth";
  depth.task.model_path = std::string(PERCEPT_TEST_DATA) + "/dense_depth.onnx";
  depth.cameras = {"rgb"};
  cfg.models.push_back(depth);
  cfg.output.video = true;  // the annotated video draws distances too: it must not fail
  RunSummary s = run_pipeline(cfg, {});
  EXPECT_EQ(s.cameras[0].completed, 12u);
  EXPECT_EQ(s.failed(), 0u);
  auto by = lines();
  const auto& det = by["rgb/det"];
  const auto& dep = by["rgb/depth"];
  ASSERT_EQ(det.size(), 12u);
  ASSERT_EQ(dep.size(), 12u);
  size_t with_distance = 0;
  for (size_t i = 0; i < det.size(); ++i) {
    EXPECT_EQ(det[i]["task"], "detect");
    EXPECT_EQ(dep[i]["task"], "depth");
    EXPECT_EQ(dep[i]["depth"]["unit"], "relative");
    ASSERT_EQ(det[i]["frame"], dep[i]["frame"]);
    EXPECT_EQ(det[i]["distance_unit"], "relative");
    const double lo = dep[i]["depth"]["min"], hi = dep[i]["depth"]["max"];
    for (const auto& d : det[i]["detections"]) {
      ASSERT_TRUE(d.contains("distance")) << d;
      EXPECT_GE(d["distance"].get<double>(), lo - 0.01);
      EXPECT_LE(d["distance"].get<double>(), hi + 0.01);
      ++with_distance;
    }
  }
  EXPECT_GT(with_distance, 12u);  // the synthetic scene has several shapes per frame
}

}  // namespace
}  // namespace percept
