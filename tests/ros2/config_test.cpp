// The `ros2:` section and `source: ros2` cameras in pipeline configs: values, defaults from the
// ROS environment variables, and FILE:LINE errors.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "percept/pipeline/config.hpp"
#include "percept/ros2/ros2.hpp"
#include "support/config_test_fixture.hpp"

namespace percept {
namespace {

namespace fs = std::filesystem;

class Ros2ConfigTest : public percept::test::ConfigFileTest {
 protected:
  void SetUp() override {
    ConfigFileTest::SetUp();
    unsetenv("ROS_DOMAIN_ID");
    unsetenv("ROS_LOCALHOST_ONLY");
  }
};

constexpr const char* kCameras = R"(cameras:
  - id: front
    source: synthetic
    frame_id: front_optical
  - id: ros_cam
    source: ros2
    topic: /camera/image_raw
    qos: reliable
    depth: 3
    timeout_s: 1.5
models:
  - {id: det, path: m.onnx}
)";

TEST_F(Ros2ConfigTest, ReadsTheSectionAndRos2Cameras) {
  ASSERT_TRUE(ros2_available()) << "CI installs Cyclone DDS: this build must have it";
  const auto cfg = load_pipeline_config(write(std::string(kCameras) + R"(ros2:
  enabled: true
  domain_id: 42
  qos: sensor_data
  depth: 2
  deadline_ms: 100
  lifespan_ms: 150
  max_blocking_ms: 20
  localhost_only: true
  namespace: /robot1/percept
  annotated_hz: 5
  diagnostics_hz: 2
  wait_for_subscribers_s: 3
  socket_buffer_bytes: 4194304
  node_name: arm_perception
  distro: humble
)"));
  const Ros2Config& r = cfg.ros2;
  EXPECT_TRUE(r.enabled);
  EXPECT_EQ(r.domain_id, 42);
  EXPECT_EQ(r.qos, Ros2Qos::sensor_data);
  EXPECT_EQ(r.depth, 2);
  EXPECT_DOUBLE_EQ(r.deadline_ms, 100);
  EXPECT_DOUBLE_EQ(r.lifespan_ms, 150);
  EXPECT_DOUBLE_EQ(r.max_blocking_ms, 20);
  EXPECT_TRUE(r.localhost_only);
  EXPECT_EQ(r.ns, "robot1/percept");
  EXPECT_DOUBLE_EQ(r.annotated_hz, 5);
  EXPECT_DOUBLE_EQ(r.diagnostics_hz, 2);
  EXPECT_DOUBLE_EQ(r.wait_for_subscribers_s, 3);
  EXPECT_EQ(r.socket_buffer_bytes, 4194304);
  EXPECT_EQ(r.node_name, "arm_perception");
  EXPECT_EQ(r.distro, Ros2Distro::humble);
  EXPECT_EQ(cfg.cameras[0].frame_id, "front_optical");
  EXPECT_EQ(cfg.cameras[1].frame_id, "");
  const SourceConfig& s = cfg.cameras[1].source;
  EXPECT_EQ(s.kind, SourceKind::ros2);
  EXPECT_EQ(s.ros2.topic, "/camera/image_raw");
  EXPECT_EQ(s.ros2.qos, Ros2Qos::reliable);
  EXPECT_EQ(s.ros2.depth, 3);
  EXPECT_DOUBLE_EQ(s.ros2.timeout_s, 1.5);
  EXPECT_EQ(cfg.mode, PipelineMode::live);  // a ROS 2 camera is live
}

TEST_F(Ros2ConfigTest, DefaultsComeFromTheRosEnvironment) {
  setenv("ROS_DOMAIN_ID", "17", 1);
  setenv("ROS_LOCALHOST_ONLY", "1", 1);
  setenv("ROS_DISTRO", "humble", 1);
  const auto cfg = load_pipeline_config(write(std::string(kCameras)));
  EXPECT_EQ(cfg.ros2.distro, Ros2Distro::humble);
  EXPECT_EQ(cfg.ros2.node_name, "percept");
  EXPECT_FALSE(cfg.ros2.enabled);
  EXPECT_EQ(cfg.ros2.domain_id, 17);
  EXPECT_TRUE(cfg.ros2.localhost_only);
  EXPECT_EQ(cfg.ros2.qos, Ros2Qos::reliable);
  EXPECT_EQ(cfg.ros2.ns, "percept");
  EXPECT_EQ(cfg.cameras[1].source.ros2.qos, Ros2Qos::reliable);
  const auto cfg2 = load_pipeline_config(write(std::string(kCameras) + "ros2: {domain_id: 3}\n"));
  EXPECT_EQ(cfg2.ros2.domain_id, 3);  // the file wins over the environment
  setenv("ROS_DISTRO", "rolling", 1);
  EXPECT_EQ(load_pipeline_config(write(std::string(kCameras))).ros2.distro, Ros2Distro::jazzy);
  setenv("ROS_DISTRO", "ardent", 1);  // unknown: a warning, and jazzy's layout
  EXPECT_EQ(load_pipeline_config(write(std::string(kCameras))).ros2.distro, Ros2Distro::jazzy);
  unsetenv("ROS_DISTRO");
  unsetenv("ROS_DOMAIN_ID");
  unsetenv("ROS_LOCALHOST_ONLY");
}

TEST_F(Ros2ConfigTest, ErrorsNameFileLineAndKey) {
  const std::string c = kCameras;  // 12 lines
  expect_error(c + "ros2:\n  enabled: true\n  domian_id: 3\n", 15,
               {"unknown key 'domian_id' in ros2", "domain_id"});
  expect_error(c + "ros2: {qos: best_effort}\n", 13, {"ros2.qos", "sensor_data or reliable"});
  expect_error(c + "ros2: {domain_id: 300}\n", 13, {"ros2.domain_id", "out of range"});
  expect_error(c + "ros2: {namespace: 'a b'}\n", 13, {"ros2.namespace", "not a ROS 2 name"});
  expect_error(c + "ros2: {node_name: 9lives}\n", 13, {"ros2.node_name", "not a ROS 2 node name"});
  expect_error(c + "ros2: {distro: foxglove}\n", 13, {"ros2.distro: 'foxglove'", "humble, iron"});
  expect_error(R"(cameras:
  - id: front-left
    source: synthetic
models:
  - {id: det, path: m.onnx}
ros2: {enabled: true}
)",
               2, {"camera id 'front-left'", "ROS 2 topic name"});
  expect_error(R"(cameras:
  - id: cam
    source: ros2
models:
  - {id: det, path: m.onnx}
)",
               2, {"cameras[0].topic must be a string"});
  expect_error(R"(cameras:
  - id: cam
    source: ros2
    topic: /bad topic
models:
  - {id: det, path: m.onnx}
)",
               4, {"cameras[0].topic", "not a ROS 2 name"});
  expect_error(R"(cameras:
  - id: cam
    source: synthetic
    topic: /x
models:
  - {id: det, path: m.onnx}
)",
               4, {"cameras[0].topic is only used by ros2 and bag sources"});
  // source: bag: a path that exists, a topic that is a ROS 2 name, no DDS-only keys.
  expect_error(R"(cameras:
  - id: cam
    source: bag
    path: missing.mcap
    topic: /cam
models:
  - {id: det, path: m.onnx}
)",
               4, {"cameras[0].path", "missing.mcap"});
  expect_error(R"(cameras:
  - id: cam
    source: bag
    path: .
models:
  - {id: det, path: m.onnx}
)",
               2, {"cameras[0].topic must be a string"});
  expect_error(R"(cameras:
  - id: cam
    source: bag
    path: .
    topic: /cam
    qos: reliable
models:
  - {id: det, path: m.onnx}
)",
               6, {"cameras[0].qos is only used by ros2 sources"});
}

TEST(Ros2Names, TopicNamesAndTokens) {
  EXPECT_EQ(ros2_topic_name("/percept/rgb/detector/detections"),
            "rt/percept/rgb/detector/detections");
  EXPECT_EQ(ros2_topic_name("diagnostics"), "rt/diagnostics");
  EXPECT_TRUE(is_ros2_name_token("front_cam2"));
  EXPECT_FALSE(is_ros2_name_token("2cam"));
  EXPECT_FALSE(is_ros2_name_token("front-cam"));
  EXPECT_TRUE(is_ros2_name("/a/b_c/d1"));
  EXPECT_TRUE(is_ros2_name("a/b"));
  EXPECT_FALSE(is_ros2_name("/a//b"));
  EXPECT_FALSE(is_ros2_name("/a/"));
}

}  // namespace
}  // namespace percept
