// `source: ros2` cameras: percept consumes sensor_msgs/Image messages published here with the
// plain Cyclone DDS C API; messages with a bad encoding, step or size are read errors, counted,
// and the camera goes on.
#include <dds/dds.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>
#include <vector>

#include "dds_test_util.hpp"
#include "percept/pipeline/config.hpp"
#include "percept/pipeline/runtime.hpp"
#include "ros2_msgs.h"

namespace {

namespace fs = std::filesystem;

struct Msg {
  std::string encoding;
  uint32_t width, height, step, size;
};

TEST(Ros2Source, ConsumesImagesAndCountsBadOnes) {
  const int domain = percept::test::random_domain();
  const fs::path dir =
      fs::path(PERCEPT_BUILD_DIR) / "testdata" / ("ros2_source_" + std::to_string(getpid()));
  fs::create_directories(dir);
  percept::test::write_file(
      (dir / "config.yaml").string(), R"(cameras:
  - id: cam
    source: ros2
    topic: /src_)" + std::to_string(getpid()) +
                                          R"(/image_raw
    frame_id: cam_optical
    qos: reliable
    depth: 50
    timeout_s: 2
models:
  - {id: detector, path: )" + std::string(PERCEPT_MODELS) +
                                          R"(/shapes_yolov8.onnx, threads: 1}
mode: lossless
output: {dir: )" + (dir / "out").string() +
                                          R"(, video: false}
ros2: {enabled: true, domain_id: )" + std::to_string(domain) +
                                          R"(, localhost_only: true, namespace: src_)" +
                                          std::to_string(getpid()) +
                                          R"(, annotated_hz: 1000, qos: reliable, depth: 50}
)");
  const percept::PipelineConfig cfg = percept::load_pipeline_config((dir / "config.yaml").string());

  // The publisher's participant creates the domain (loopback); percept's source shares it.
  const dds_entity_t pp = percept::test::loopback_participant(domain);
  ASSERT_GT(pp, 0);
  const dds_entity_t topic = dds_create_topic(
      pp, &sensor_msgs_msg_dds__Image__desc,
      ("rt/src_" + std::to_string(getpid()) + "/image_raw").c_str(), nullptr, nullptr);
  dds_qos_t* q = percept::test::reliable_keep_all();
  const dds_entity_t writer = dds_create_writer(pp, topic, q, nullptr);
  dds_delete_qos(q);
  ASSERT_GT(writer, 0);

  // percept's results on the same graph: ROS 2 in, ROS 2 out, stamps carried through.
  const dds_entity_t det_topic =
      dds_create_topic(pp, &vision_msgs_msg_dds__Detection2DArray__desc,
                       ("rt/src_" + std::to_string(getpid()) + "/cam/detector/detections").c_str(),
                       nullptr, nullptr);
  q = percept::test::reliable_keep_all();
  const dds_entity_t det_reader = dds_create_reader(pp, det_topic, q, nullptr);
  dds_delete_qos(q);
  ASSERT_GT(det_reader, 0);

  percept::RunSummary sum;
  std::thread run([&] { sum = percept::run_pipeline(cfg, {}); });
  ASSERT_TRUE(percept::test::wait_matched(writer, 1, 30)) << "percept never subscribed";

  const std::vector<Msg> msgs = {
      {"rgb8", 64, 48, 64 * 3, 64 * 3 * 48},            // good
      {"bgr8", 64, 48, 64 * 3 + 8, (64 * 3 + 8) * 48},  // good, padded rows
      {"mono8", 64, 48, 64, 64 * 48},                   // good
      {"yuv422", 64, 48, 64 * 2, 64 * 2 * 48},          // unsupported encoding
      {"rgb8", 64, 48, 64 * 2, 64 * 2 * 48},            // step shorter than a row
      {"rgb8", 64, 48, 64 * 3, 64 * 3 * 47},            // data shorter than step x height
      {"rgb8", 64, 48, 64 * 3, 64 * 3 * 48},            // good
  };
  std::vector<uint8_t> pixels(200 * 48, 128);
  for (size_t i = 0; i < msgs.size(); ++i) {
    const Msg& m = msgs[i];
    sensor_msgs_msg_dds__Image_ img{};
    img.header_.stamp_.sec_ = 1700000000 + static_cast<int32_t>(i);
    img.header_.stamp_.nanosec_ = 500;
    img.header_.frame_id_ = const_cast<char*>("test_cam");
    img.height_ = m.height;
    img.width_ = m.width;
    img.encoding_ = const_cast<char*>(m.encoding.c_str());
    img.step_ = m.step;
    img.data_ = {m.size, m.size, pixels.data(), false};
    ASSERT_EQ(dds_write(writer, &img), DDS_RETCODE_OK);
  }
  run.join();  // the source ends 2 s after the last message (timeout_s)

  std::vector<std::pair<int32_t, uint32_t>> out_stamps;
  for (int tries = 0; tries < 100 && out_stamps.size() < 4; ++tries) {
    void* samples[8] = {nullptr};
    dds_sample_info_t infos[8];
    const int n = dds_take(det_reader, samples, infos, 8, 8);
    for (int i = 0; i < n; ++i)
      if (infos[i].valid_data) {
        const auto* m = static_cast<const vision_msgs_msg_dds__Detection2DArray_*>(samples[i]);
        EXPECT_STREQ(m->header_.frame_id_, "cam_optical");
        out_stamps.emplace_back(m->header_.stamp_.sec_, m->header_.stamp_.nanosec_);
      }
    if (n > 0) dds_return_loan(det_reader, samples, n);
    if (n <= 0) dds_sleepfor(DDS_MSECS(20));
  }
  dds_delete(pp);

  ASSERT_EQ(sum.cameras.size(), 1u);
  EXPECT_EQ(sum.cameras[0].captured, 4u);
  EXPECT_EQ(sum.cameras[0].read_errors, 3u);
  EXPECT_EQ(sum.cameras[0].completed, 4u);

  // Frames carry the messages' header stamps as their capture time.
  std::ifstream jsonl(dir / "out" / "detections.jsonl");
  std::vector<double> stamps;
  for (std::string line; std::getline(jsonl, line);)
    stamps.push_back(nlohmann::json::parse(line).at("capture_time_s").get<double>());
  ASSERT_EQ(stamps.size(), 4u);
  const double expected[] = {1700000000, 1700000001, 1700000002, 1700000006};
  for (size_t i = 0; i < 4; ++i) EXPECT_NEAR(stamps[i], expected[i] + 5e-7, 1e-3);
  // The published detections carry the input images' stamps exactly (sec + 500 ns).
  ASSERT_EQ(out_stamps.size(), 4u);
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(out_stamps[i].first, static_cast<int32_t>(expected[i]));
    EXPECT_EQ(out_stamps[i].second, 500u);
  }
}

}  // namespace
