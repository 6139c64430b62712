// Tracking and 3D through the whole pipeline (issue 16): config keys and their errors, track
// ids and 3D positions in the JSONL, the tracker only on models that produce detections.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include <opencv2/imgcodecs.hpp>

#include "percept/io/image_io.hpp"
#include "percept/io/synthetic_source.hpp"
#include "percept/pipeline/runtime.hpp"
#include "support/config_test_fixture.hpp"

namespace percept {
namespace {

using TrackingConfig = test::ConfigFileTest;

const std::string kCam =
    "cameras:\n  - id: c\n    source: synthetic\n    width: 320\n    height: 240\n";

TEST_F(TrackingConfig, TrackerShorthandAndMapAndTheConfInteraction) {
  auto cfg = load_pipeline_config(write(kCam + "models:\n  - id: d\n    path: m.onnx\n"
                                               "    conf: 0.5\n    tracker: bytetrack\n"));
  ASSERT_TRUE(cfg.models[0].tracker);
  EXPECT_DOUBLE_EQ(cfg.models[0].tracker->publish_conf, 0.5);
  // The model decodes down to the tracker's low threshold; conf is what gets published.
  EXPECT_FLOAT_EQ(*cfg.models[0].task.conf, 0.1f);
  cfg = load_pipeline_config(write(kCam + "models:\n  - id: d\n    path: m.onnx\n"
                                          "    tracker: {type: bytetrack, low_thresh: 0.05, "
                                          "high_thresh: 0.4, track_buffer: 60}\n"));
  EXPECT_DOUBLE_EQ(cfg.models[0].tracker->high_thresh, 0.4);
  EXPECT_EQ(cfg.models[0].tracker->track_buffer, 60);
  EXPECT_FLOAT_EQ(*cfg.models[0].task.conf, 0.05f);
  EXPECT_DOUBLE_EQ(cfg.models[0].tracker->publish_conf, 0.25);
}

TEST_F(TrackingConfig, BadTrackerAndIntrinsicsNameTheLine) {
  expect_error(kCam + "models:\n  - id: d\n    path: m.onnx\n    tracker: sort\n", 9,
               {"tracker", "'sort'", "bytetrack"});
  expect_error(kCam +
                   "models:\n  - id: d\n    path: m.onnx\n    tracker: {low_thresh: 0.5, "
                   "high_thresh: 0.3}\n",
               9, {"low_thresh must not be above high_thresh"});
  expect_error(kCam +
                   "    intrinsics: {fx: 0, fy: 500, cx: 160, cy: 120}\nmodels:\n  - id: d\n"
                   "    path: m.onnx\n",
               6, {"intrinsics.fx must be > 0"});
  expect_error(kCam +
                   "    intrinsics: {fx: 500, fy: 500, cx: 400, cy: 120}\nmodels:\n  - id: d\n"
                   "    path: m.onnx\n",
               6, {"principal point", "outside the 320x240 image"});
  expect_error(kCam +
                   "    intrinsics: {fx: 500, fy: 500, cx: 160}\nmodels:\n  - id: d\n"
                   "    path: m.onnx\n",
               6, {"intrinsics.cy is missing"});
}

class TrackingRun : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = test::fresh_test_dir("percept_tracking_"); }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string config(const std::string& models, const std::string& camera_extra = "") {
    const std::string p = (dir_ / "c.yaml").string();
    // Lossless: a synthetic camera alone would run live, and a slow machine (TSan) drops frames.
    std::ofstream(p)
        << "mode: lossless\ncameras:\n  - id: c\n    source: synthetic\n    width: 320\n"
           "    height: 240\n    frames: 60\n    objects: 3\n    seed: 4\n"
        << camera_extra << "models:\n"
        << models << "output:\n  dir: " << (dir_ / "out").string() << "\n  video: false\n";
    return p;
  }
  std::vector<nlohmann::json> lines(const std::string& model) {
    std::vector<nlohmann::json> v;
    std::ifstream f(dir_ / "out" / "detections.jsonl");
    for (std::string line; std::getline(f, line);) {
      auto j = nlohmann::json::parse(line);
      if (j["model"] == model) v.push_back(j);
    }
    return v;
  }
  std::filesystem::path dir_;
};

const std::string kModels = std::string(PERCEPT_MODELS);

TEST_F(TrackingRun, JsonlCarriesStableTrackIdsAndVelocities) {
  run_pipeline(load_pipeline_config(config("  - id: det\n    path: " + kModels +
                                           "/shapes_yolov8.onnx\n    threads: 1\n"
                                           "    tracker: bytetrack\n")),
               {});
  const auto v = lines("det");
  ASSERT_EQ(v.size(), 60u);
  std::set<int64_t> ids;
  size_t tracked = 0, total = 0;
  for (const auto& l : v)
    for (const auto& d : l["detections"]) {
      ++total;
      if (!d.contains("track_id")) continue;
      ++tracked;
      ids.insert(d["track_id"].get<int64_t>());
      ASSERT_EQ(d["velocity_px_s"].size(), 2u);
      EXPECT_FALSE(d.contains("position_m")) << "no intrinsics, no 3D";
    }
  EXPECT_GT(tracked, total * 9 / 10);
  EXPECT_GE(*ids.begin(), 1);
  // Three shapes bouncing for 2 s: a handful of identities, not one per frame.
  EXPECT_LE(ids.size(), 6u);
  EXPECT_GE(ids.size(), 3u);
  // summary.json counts the ids handed out (and the boxes refused: none here).
  std::ifstream sf(dir_ / "out" / "summary.json");
  const auto summary = nlohmann::json::parse(sf);
  const auto& tracking = summary["models"][0]["tracking"];
  EXPECT_EQ(tracking["tracks"].get<size_t>(), ids.size());
  EXPECT_EQ(tracking["invalid_boxes"], 0);
  EXPECT_EQ(tracking["capped_boxes"], 0);
}

TEST_F(TrackingRun, MetricDepthAndIntrinsicsGivePositionsInMetres) {
  run_pipeline(load_pipeline_config(
                   config("  - id: det\n    path: " + kModels +
                              "/shapes_yolov8.onnx\n    threads: 1\n    tracker: bytetrack\n"
                              "  - id: depth\n    path: " +
                              kModels + "/scene_depth.onnx\n    threads: 1\n",
                          "    intrinsics: {fx: 300, fy: 300, cx: 160, cy: 120}\n")),
               {});
  const auto v = lines("det");
  ASSERT_EQ(v.size(), 60u);
  size_t with_position = 0, with_velocity = 0;
  for (const auto& l : v)
    for (const auto& d : l["detections"]) {
      if (!d.contains("position_m")) continue;
      ++with_position;
      const double z = d["position_m"][2];
      EXPECT_GT(z, 0);
      EXPECT_NEAR(z, d["distance"].get<double>(), 0.01) << "z is the fused depth";
      // x from the box centre: (u - cx) z / fx.
      const double u = (d["box"][0].get<double>() + d["box"][2].get<double>()) / 2;
      EXPECT_NEAR(d["position_m"][0].get<double>(), (u - 160) * z / 300, 0.01 + 0.002 * z);
      with_velocity += d.contains("velocity_m_s");
    }
  EXPECT_GT(with_position, 100u);
  EXPECT_GT(with_velocity, 80u);
}

// Relative depth has no scale: no positions, and the sinks are told so (the ROS 2 sink opens
// detections_3d only for cameras with camera_3d). Seen through an embedder's sink, which gets
// the same PipelineInfo as the ROS 2 sink.
TEST_F(TrackingRun, RelativeDepthGivesNoPositionsAndNo3dOutputs) {
  for (const bool metric : {true, false}) {
    std::vector<bool> camera_3d;
    RuntimeOptions opt;
    opt.extra_sinks = [&](const PipelineInfo& info) {
      camera_3d = info.camera_3d;
      return std::vector<std::unique_ptr<Sink>>{};
    };
    opt.max_frames = 10;
    run_pipeline(load_pipeline_config(
                     config("  - id: det\n    path: " + kModels +
                                "/shapes_yolov8.onnx\n    threads: 1\n  - id: depth\n    path: " +
                                kModels + "/scene_depth.onnx\n    threads: 1\n" +
                                (metric ? "" : "    depth_unit: relative\n"),
                            "    intrinsics: {fx: 300, fy: 300, cx: 160, cy: 120}\n")),
                 opt);
    ASSERT_EQ(camera_3d, std::vector<bool>{metric}) << (metric ? "metric" : "relative");
    size_t placed = 0;
    for (const auto& l : lines("det"))
      for (const auto& d : l["detections"]) placed += d.contains("position_m");
    if (metric)
      EXPECT_GT(placed, 10u);
    else
      EXPECT_EQ(placed, 0u);
  }
}

// An image folder's frame size is known only when the first frame arrives: a principal point
// outside it is caught then (logged once with the key's FILE:LINE), and that camera gets no
// 3D positions, while its distances and tracks go on.
TEST_F(TrackingRun, PrincipalPointOutsideFramesKnownOnlyAtRunTimeGivesNo3d) {
  const std::filesystem::path images = dir_ / "images";
  std::filesystem::create_directories(images);
  SyntheticOptions o;
  o.width = 320, o.height = 240, o.objects = 3, o.seed = 4, o.frames = 8;
  SyntheticScene scene(o);
  Image img;
  for (int i = 0; scene.next(img); ++i) {
    char name[32];
    std::snprintf(name, sizeof name, "%03d.png", i);
    ASSERT_TRUE(cv::imwrite((images / name).string(), mat_view(img)));
  }
  for (const double cx : {160.0, 400.0}) {  // inside the 320-pixel width, then outside
    const std::string p = (dir_ / "c.yaml").string();
    std::ofstream(p) << "cameras:\n  - id: c\n    source: images\n    path: " << images.string()
                     << "\n    intrinsics: {fx: 300, fy: 300, cx: " << cx
                     << ", cy: 120}\nmodels:\n  - id: det\n    path: " << kModels
                     << "/shapes_yolov8.onnx\n    threads: 1\n    tracker: bytetrack\n"
                        "  - id: depth\n    path: "
                     << kModels << "/scene_depth.onnx\n    threads: 1\noutput:\n  dir: "
                     << (dir_ / "out").string() << "\n  video: false\n";
    testing::internal::CaptureStdout();
    testing::internal::CaptureStderr();
    run_pipeline(load_pipeline_config(p), {});  // loads: the config cannot know the size
    const std::string log =
        testing::internal::GetCapturedStdout() + testing::internal::GetCapturedStderr();
    size_t placed = 0, distances = 0, tracked = 0;
    const auto v = lines("det");
    ASSERT_EQ(v.size(), 8u);
    for (const auto& l : v)
      for (const auto& d : l["detections"]) {
        placed += d.contains("position_m");
        distances += d.contains("distance");
        tracked += d.contains("track_id");
      }
    EXPECT_GT(distances, 10u) << cx;
    EXPECT_GT(tracked, 10u) << cx;
    if (cx < 320) {
      EXPECT_GT(placed, 10u);
      EXPECT_EQ(log.find("principal point"), std::string::npos) << log;
    } else {
      EXPECT_EQ(placed, 0u);
      EXPECT_NE(log.find("c.yaml:5: the principal point (400, 120) is outside its 320x240 frames"),
                std::string::npos)
          << log;
    }
  }
}

TEST_F(TrackingRun, TrackerOnAModelWithoutDetectionsIsRefusedAtOpen) {
  try {
    run_pipeline(load_pipeline_config(config("  - id: depth\n    path: " + kModels +
                                             "/scene_depth.onnx\n    tracker: bytetrack\n")),
                 {});
    FAIL() << "a depth model was tracked";
  } catch (const Error& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("c.yaml:13"), std::string::npos) << m;
    EXPECT_NE(m.find("only models that produce detections"), std::string::npos) << m;
  }
}

}  // namespace
}  // namespace percept
