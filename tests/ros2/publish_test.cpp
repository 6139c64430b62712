// percept run (a separate process, over the loopback network) publishes every message type;
// an independent Cyclone DDS subscriber written here with the plain C API receives them and
// checks each field.
#include <dds/dds.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "dds_test_util.hpp"
#include "ros2_msgs.h"

namespace {

namespace fs = std::filesystem;

constexpr int kFrames = 6;

struct Sub {
  dds_entity_t topic = 0, reader = 0;
};

Sub subscribe(dds_entity_t pp, const dds_topic_descriptor_t* desc, const std::string& name) {
  Sub s;
  s.topic = dds_create_topic(pp, desc, name.c_str(), nullptr, nullptr);
  EXPECT_GT(s.topic, 0) << name;
  dds_qos_t* q = percept::test::reliable_keep_all();
  s.reader = dds_create_reader(pp, s.topic, q, nullptr);
  dds_delete_qos(q);
  EXPECT_GT(s.reader, 0) << name;
  return s;
}

// Takes every sample; calls check(sample) on each valid one; returns how many.
template <class T, class F>
int take_all(const Sub& s, F check) {
  int count = 0;
  while (true) {
    void* samples[16] = {nullptr};
    dds_sample_info_t infos[16];
    const int n = dds_take(s.reader, samples, infos, 16, 16);
    if (n <= 0) break;
    for (int i = 0; i < n; ++i)
      if (infos[i].valid_data) {
        check(*static_cast<const T*>(samples[i]));
        ++count;
      }
    dds_return_loan(s.reader, samples, n);
  }
  return count;
}

void check_header(const std_msgs_msg_dds__Header_& h, const char* frame_id) {
  EXPECT_STREQ(h.frame_id_, frame_id);
  const int64_t now = std::time(nullptr);
  EXPECT_NEAR(static_cast<double>(h.stamp_.sec_), static_cast<double>(now), 600.0)
      << "stamp is not the capture time (system clock)";
  EXPECT_LT(h.stamp_.nanosec_, 1000000000u);
}

TEST(Ros2Publish, PipelinePublishesEveryMessageType) {
  const int domain = percept::test::random_domain();
  const fs::path dir =
      fs::path(PERCEPT_BUILD_DIR) / "testdata" / ("ros2_publish_" + std::to_string(getpid()));
  fs::create_directories(dir);
  const std::string models = PERCEPT_MODELS, data = PERCEPT_TEST_DATA;
  percept::test::write_file((dir / "config.yaml").string(), R"(mode: lossless
cameras:
  - id: front
    source: synthetic
    frame_id: front_optical
    width: 320
    height: 240
    frames: )" + std::to_string(kFrames) + R"(
models:
  - {id: detector, path: )" + models + R"(/shapes_yolov8.onnx, conf: 0.05, threads: 1}
  - {id: depth, path: )" + data + R"(/dense_depth.onnx, threads: 1}
  - {id: seg, path: )" + data + R"(/dense_segment.onnx, threads: 1}
  - {id: inst, path: )" + models + R"(/shapes_yolov8_seg.onnx, threads: 1}
output: {dir: )" + (dir / "out").string() + R"(, video: false}
ros2:
  enabled: true
  domain_id: )" + std::to_string(domain) + R"(
  qos: reliable
  depth: 100
  max_blocking_ms: 1000
  localhost_only: true
  annotated_hz: 1000
  diagnostics_hz: 20
  wait_for_subscribers_s: 30
  namespace: pub_)" + std::to_string(getpid()) + R"(
)");

  // Topic names of this process only, even should another test pick the same domain.
  const std::string ns = "rt/pub_" + std::to_string(getpid());
  const dds_entity_t pp = percept::test::loopback_participant(domain);
  ASSERT_GT(pp, 0) << dds_strretcode(pp);
  const Sub dets = subscribe(pp, &vision_msgs_msg_dds__Detection2DArray__desc,
                             ns + "/front/detector/detections");
  const Sub depth = subscribe(pp, &sensor_msgs_msg_dds__Image__desc, ns + "/front/depth/depth");
  const Sub seg = subscribe(pp, &sensor_msgs_msg_dds__Image__desc, ns + "/front/seg/segmentation");
  const Sub inst = subscribe(pp, &sensor_msgs_msg_dds__Image__desc, ns + "/front/inst/masks");
  // The instance model's boxes (without a subscriber percept would wait 30 s for one).
  const Sub inst_dets =
      subscribe(pp, &vision_msgs_msg_dds__Detection2DArray__desc, ns + "/front/inst/detections");
  const Sub annotated = subscribe(pp, &sensor_msgs_msg_dds__Image__desc, ns + "/front/annotated");
  const Sub diag = subscribe(pp, &diagnostic_msgs_msg_dds__DiagnosticArray__desc, "rt/diagnostics");

  // The publisher runs as its own process: everything crosses the loopback network.
  const std::string cmd = std::string(PERCEPT_BINARY) + " run " + (dir / "config.yaml").string() +
                          " > " + (dir / "run.log").string() + " 2>&1";
  const int rc = std::system(cmd.c_str());
  ASSERT_EQ(rc, 0) << "percept run failed, see " << (dir / "run.log");

  // What the same run wrote to detections.jsonl: the DDS messages must say the same.
  std::vector<nlohmann::json> lines, inst_lines;
  {
    std::ifstream jsonl(dir / "out" / "detections.jsonl");
    for (std::string line; std::getline(jsonl, line);) {
      auto j = nlohmann::json::parse(line);
      if (j.at("model") == "detector") lines.push_back(j);
      if (j.at("model") == "inst") inst_lines.push_back(j);
    }
  }
  ASSERT_EQ(inst_lines.size(), static_cast<size_t>(kFrames));
  ASSERT_EQ(lines.size(), static_cast<size_t>(kFrames));

  int boxes = 0, frame = 0;
  const int n_dets = take_all<vision_msgs_msg_dds__Detection2DArray_>(dets, [&](const auto& m) {
    check_header(m.header_, "front_optical");
    ASSERT_LT(frame, kFrames);
    const nlohmann::json& want = lines[static_cast<size_t>(frame++)];
    EXPECT_NEAR(m.header_.stamp_.sec_ + m.header_.stamp_.nanosec_ * 1e-9,
                want.at("capture_time_s").get<double>(), 1e-5);
    ASSERT_EQ(m.detections_._length, want.at("detections").size());
    for (uint32_t i = 0; i < m.detections_._length; ++i) {
      const auto& d = m.detections_._buffer[i];
      const nlohmann::json& w = want.at("detections")[i];
      ++boxes;
      check_header(d.header_, "front_optical");
      EXPECT_EQ(d.header_.stamp_.sec_, m.header_.stamp_.sec_);
      EXPECT_TRUE(d.id_ != nullptr && d.id_[0] == 0);
      ASSERT_EQ(d.results_._length, 1u);
      const auto& h = d.results_._buffer[0];
      EXPECT_EQ(std::string(h.hypothesis_.class_id_), w.at("label").get<std::string>());
      EXPECT_NEAR(h.hypothesis_.score_, w.at("score").get<double>(), 1e-4);
      EXPECT_EQ(h.pose_.pose_.orientation_.w_, 1.0);
      // A depth model serves the camera: every box carries its fused distance in position.z.
      ASSERT_TRUE(w.contains("distance"));
      EXPECT_NEAR(h.pose_.pose_.position_.z_, w.at("distance").get<double>(), 0.006);
      const auto& box = w.at("box");
      const double x1 = box[0], y1 = box[1], x2 = box[2], y2 = box[3];
      EXPECT_NEAR(d.bbox_.center_.position_.x_, (x1 + x2) / 2, 0.01);
      EXPECT_NEAR(d.bbox_.center_.position_.y_, (y1 + y2) / 2, 0.01);
      EXPECT_NEAR(d.bbox_.size_x_, x2 - x1, 0.01);
      EXPECT_NEAR(d.bbox_.size_y_, y2 - y1, 0.01);
      EXPECT_EQ(d.bbox_.center_.theta_, 0.0);
    }
  });
  EXPECT_EQ(n_dets, kFrames);
  EXPECT_GT(boxes, 0) << "the synthetic scene has objects: the detector should find some";

  const int n_depth = take_all<sensor_msgs_msg_dds__Image_>(depth, [&](const auto& m) {
    check_header(m.header_, "front_optical");
    EXPECT_STREQ(m.encoding_, "32FC1");
    EXPECT_EQ(m.is_bigendian_, 0);
    EXPECT_GT(m.width_, 0u);
    EXPECT_GT(m.height_, 0u);
    EXPECT_EQ(m.step_, m.width_ * 4);
    ASSERT_EQ(m.data_._length, m.step_ * m.height_);
    const float* v = reinterpret_cast<const float*>(m.data_._buffer);
    int finite = 0;
    for (uint32_t i = 0; i < m.width_ * m.height_; ++i) finite += std::isfinite(v[i]);
    EXPECT_GT(finite, 0);
  });
  EXPECT_EQ(n_depth, kFrames);

  const int n_seg = take_all<sensor_msgs_msg_dds__Image_>(seg, [&](const auto& m) {
    check_header(m.header_, "front_optical");
    EXPECT_STREQ(m.encoding_, "mono8");
    EXPECT_EQ(m.step_, m.width_);
    EXPECT_EQ(m.data_._length, m.step_ * m.height_);
  });
  EXPECT_EQ(n_seg, kFrames);

  // Instance masks: a mono16 map of the frame's size; pixel k + 1 belongs to detection k of the
  // same frame's line, and as many pixels as its mask (minus overlaps with earlier ones).
  int inst_frame = 0;
  const int n_inst = take_all<sensor_msgs_msg_dds__Image_>(inst, [&](const auto& m) {
    check_header(m.header_, "front_optical");
    EXPECT_STREQ(m.encoding_, "mono16");
    EXPECT_EQ(m.width_, 320u);
    EXPECT_EQ(m.height_, 240u);
    EXPECT_EQ(m.step_, 320u * 2);
    ASSERT_EQ(m.data_._length, m.step_ * m.height_);
    ASSERT_LT(inst_frame, kFrames);
    const auto& want = inst_lines[static_cast<size_t>(inst_frame++)].at("detections");
    std::vector<int64_t> count(want.size() + 1, 0);
    const uint16_t* px = reinterpret_cast<const uint16_t*>(m.data_._buffer);
    for (uint32_t i = 0; i < m.width_ * m.height_; ++i) {
      ASSERT_LE(px[i], want.size());
      ++count[px[i]];
    }
    for (size_t k = 0; k < want.size(); ++k)
      EXPECT_LE(count[k + 1], want[k].at("mask").at("area").get<int64_t>());
    if (!want.empty()) {
      EXPECT_EQ(count[1], want[0].at("mask").at("area").get<int64_t>());
    }
  });
  EXPECT_EQ(n_inst, kFrames);

  const int n_ann = take_all<sensor_msgs_msg_dds__Image_>(annotated, [&](const auto& m) {
    check_header(m.header_, "front_optical");
    EXPECT_STREQ(m.encoding_, "rgb8");
    EXPECT_EQ(m.width_, 320u);
    EXPECT_EQ(m.height_, 240u);
    EXPECT_EQ(m.step_, 320u * 3);
    EXPECT_EQ(m.data_._length, m.step_ * m.height_);
  });
  EXPECT_GE(n_ann, 1);

  bool saw_totals = false;
  const int n_diag = take_all<diagnostic_msgs_msg_dds__DiagnosticArray_>(diag, [&](const auto& m) {
    ASSERT_EQ(m.status_._length, 1u);
    const auto& s = m.status_._buffer[0];
    // /diagnostics is one topic for every process on the domain: another test that drew the
    // same random domain would add its own statuses. Only this run's camera counts.
    if (std::string(s.hardware_id_) != "front_optical") return;
    EXPECT_STREQ(s.name_, "percept: camera front");
    EXPECT_STREQ(s.hardware_id_, "front_optical");
    EXPECT_LE(s.level_, 1);
    std::map<std::string, std::string> kv;
    for (uint32_t i = 0; i < s.values_._length; ++i)
      kv[s.values_._buffer[i].key_] = s.values_._buffer[i].value_;
    for (const char* k : {"fps", "latency_ms_p50", "frames", "drops", "deadline_misses"})
      EXPECT_TRUE(kv.count(k)) << k;
    if (kv["frames"] == std::to_string(kFrames)) saw_totals = true;
  });
  EXPECT_GE(n_diag, 1);
  frame = 0;
  const int n_inst_dets =
      take_all<vision_msgs_msg_dds__Detection2DArray_>(inst_dets, [&](const auto& m) {
        ASSERT_LT(frame, kFrames);
        EXPECT_EQ(m.detections_._length,
                  inst_lines[static_cast<size_t>(frame++)].at("detections").size());
      });
  EXPECT_EQ(n_inst_dets, kFrames);
  EXPECT_TRUE(saw_totals) << "the last DiagnosticArray holds the run's totals";
  dds_delete(pp);
}

// Tracking and 3D on ROS 2 (issue 16): Detection2D.id carries the track id in decimal, and
// detections_3d (vision_msgs/Detection3DArray) the JSONL's position_m and size_m.
TEST(Ros2Publish, TrackedDetectionsCarryTheirIdAndA3dTwin) {
  constexpr int kTracked = 12;
  const int domain = percept::test::random_domain();
  const fs::path dir =
      fs::path(PERCEPT_BUILD_DIR) / "testdata" / ("ros2_track_" + std::to_string(getpid()));
  fs::create_directories(dir);
  const std::string models = PERCEPT_MODELS;
  percept::test::write_file((dir / "config.yaml").string(), R"(mode: lossless
cameras:
  - id: front
    source: synthetic
    frame_id: front_optical
    width: 320
    height: 240
    objects: 3
    frames: )" + std::to_string(kTracked) + R"(
    intrinsics: {fx: 300, fy: 300, cx: 160, cy: 120}
models:
  - {id: detector, path: )" + models + R"(/shapes_yolov8.onnx, threads: 1, tracker: bytetrack}
  - {id: depth, path: )" + models + R"(/scene_depth.onnx, threads: 1}
output: {dir: )" + (dir / "out").string() + R"(, video: false}
ros2:
  enabled: true
  domain_id: )" + std::to_string(domain) + R"(
  qos: reliable
  depth: 100
  max_blocking_ms: 1000
  localhost_only: true
  diagnostics_hz: 0
  wait_for_subscribers_s: 30
  namespace: trk_)" + std::to_string(getpid()) + R"(
)");
  const std::string ns = "rt/trk_" + std::to_string(getpid());
  const dds_entity_t pp = percept::test::loopback_participant(domain);
  ASSERT_GT(pp, 0) << dds_strretcode(pp);
  const Sub dets = subscribe(pp, &vision_msgs_msg_dds__Detection2DArray__desc,
                             ns + "/front/detector/detections");
  const Sub dets3 = subscribe(pp, &vision_msgs_msg_dds__Detection3DArray__desc,
                              ns + "/front/detector/detections_3d");
  // Subscribed so that percept does not wait for a subscriber on it; not checked here.
  const Sub depth = subscribe(pp, &sensor_msgs_msg_dds__Image__desc, ns + "/front/depth/depth");
  // The camera has intrinsics: its CameraInfo goes out with every frame.
  const Sub info = subscribe(pp, &sensor_msgs_msg_dds__CameraInfo__desc, ns + "/front/camera_info");
  const std::string cmd = std::string(PERCEPT_BINARY) + " run " + (dir / "config.yaml").string() +
                          " > " + (dir / "run.log").string() + " 2>&1";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << "percept run failed, see " << (dir / "run.log");
  const std::vector<nlohmann::json> lines =
      percept::test::jsonl_lines((dir / "out" / "detections.jsonl").string(), "detector");
  ASSERT_EQ(lines.size(), static_cast<size_t>(kTracked));
  int frame = 0, with_id = 0;
  const int n2 = take_all<vision_msgs_msg_dds__Detection2DArray_>(dets, [&](const auto& m) {
    const nlohmann::json& want = lines[static_cast<size_t>(frame++)].at("detections");
    ASSERT_EQ(m.detections_._length, want.size());
    for (uint32_t i = 0; i < m.detections_._length; ++i) {
      const std::string id = m.detections_._buffer[i].id_;
      if (want[i].contains("track_id")) {
        EXPECT_EQ(id, std::to_string(want[i]["track_id"].get<int64_t>()));
        ++with_id;
      } else {
        EXPECT_EQ(id, "");
      }
    }
  });
  EXPECT_EQ(n2, kTracked);
  EXPECT_GT(with_id, kTracked);  // three shapes, tracked from the first frame
  frame = 0;
  int placed = 0;
  const int n3 = take_all<vision_msgs_msg_dds__Detection3DArray_>(dets3, [&](const auto& m) {
    check_header(m.header_, "front_optical");
    std::vector<nlohmann::json> want;
    for (const auto& d : lines[static_cast<size_t>(frame)].at("detections"))
      if (d.contains("position_m")) want.push_back(d);
    ++frame;
    ASSERT_EQ(m.detections_._length, want.size());
    for (uint32_t i = 0; i < m.detections_._length; ++i) {
      const auto& d = m.detections_._buffer[i];
      check_header(d.header_, "front_optical");
      ++placed;
      const auto& p = d.bbox_.center_.position_;
      EXPECT_NEAR(p.x_, want[i]["position_m"][0].get<double>(), 1e-3);
      EXPECT_NEAR(p.y_, want[i]["position_m"][1].get<double>(), 1e-3);
      EXPECT_NEAR(p.z_, want[i]["position_m"][2].get<double>(), 1e-3);
      EXPECT_NEAR(d.bbox_.size_.x_, want[i]["size_m"][0].get<double>(), 1e-3);
      EXPECT_NEAR(d.bbox_.size_.y_, want[i]["size_m"][1].get<double>(), 1e-3);
      EXPECT_EQ(d.bbox_.size_.z_, 0.0);
      EXPECT_EQ(d.bbox_.center_.orientation_.w_, 1.0);
      ASSERT_EQ(d.results_._length, 1u);
      EXPECT_EQ(std::string(d.results_._buffer[0].hypothesis_.class_id_),
                want[i]["label"].get<std::string>());
      const std::string id = d.id_;
      EXPECT_EQ(id, want[i].contains("track_id")
                        ? std::to_string(want[i]["track_id"].get<int64_t>())
                        : std::string());
    }
  });
  EXPECT_EQ(n3, kTracked);
  EXPECT_GT(placed, kTracked);
  EXPECT_EQ(take_all<sensor_msgs_msg_dds__Image_>(depth, [](const auto&) {}), kTracked);
  frame = 0;
  const int n_info = take_all<sensor_msgs_msg_dds__CameraInfo_>(info, [&](const auto& m) {
    check_header(m.header_, "front_optical");
    // Stamped like the results of the same frame, so message_filters can pair them.
    EXPECT_NEAR(m.header_.stamp_.sec_ + m.header_.stamp_.nanosec_ * 1e-9,
                lines[static_cast<size_t>(frame++)].at("capture_time_s").get<double>(), 1e-5);
    EXPECT_EQ(m.width_, 320u);
    EXPECT_EQ(m.height_, 240u);
    EXPECT_STREQ(m.distortion_model_, "plumb_bob");
    ASSERT_EQ(m.d_._length, 5u);
    for (uint32_t i = 0; i < 5; ++i) EXPECT_EQ(m.d_._buffer[i], 0.0);
    const double k[9] = {300, 0, 160, 0, 300, 120, 0, 0, 1};
    const double r[9] = {1, 0, 0, 0, 1, 0, 0, 0, 1};
    const double p[12] = {300, 0, 160, 0, 0, 300, 120, 0, 0, 0, 1, 0};
    for (int i = 0; i < 9; ++i) {
      EXPECT_EQ(m.k_[i], k[i]) << "K[" << i << "]";
      EXPECT_EQ(m.r_[i], r[i]) << "R[" << i << "]";
    }
    for (int i = 0; i < 12; ++i) EXPECT_EQ(m.p_[i], p[i]) << "P[" << i << "]";
    EXPECT_EQ(m.binning_x_, 0u);
    EXPECT_EQ(m.roi_.width_, 0u);
  });
  EXPECT_EQ(n_info, kTracked);
  dds_delete(pp);
}

}  // namespace
