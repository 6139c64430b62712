// Fast DDS (ROS 2's default middleware, Debian's libfastrtps-dev 2.9) receives percept's
// detections: `percept run` publishes with Cyclone DDS in its own process, a Fast DDS
// DataReader here decodes vision_msgs/Detection2DArray with Fast CDR, written by hand from the
// .msg layout (no generated code shared with percept).
#include <gtest/gtest.h>
#include <unistd.h>

#include <fastcdr/Cdr.h>
#include <fastcdr/FastBuffer.h>
#include <fastdds/rtps/transport/UDPv4TransportDescriptor.h>
#include <fastrtps/utils/IPLocator.h>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <fastdds/dds/domain/DomainParticipant.hpp>
#include <fastdds/dds/domain/DomainParticipantFactory.hpp>
#include <fastdds/dds/subscriber/DataReader.hpp>
#include <fastdds/dds/subscriber/SampleInfo.hpp>
#include <fastdds/dds/subscriber/Subscriber.hpp>
#include <fastdds/dds/subscriber/qos/DataReaderQos.hpp>
#include <fastdds/dds/topic/TopicDataType.hpp>
#include <fastdds/dds/topic/TypeSupport.hpp>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "dds_test_util.hpp"

namespace {

namespace fs = std::filesystem;
namespace dds = eprosima::fastdds::dds;
using eprosima::fastcdr::Cdr;
using eprosima::fastrtps::rtps::SerializedPayload_t;

struct Box {
  std::string class_id;
  double score = 0, distance = 0, cx = 0, cy = 0, w = 0, h = 0;
};
struct Detections {
  int32_t sec = 0;
  uint32_t nanosec = 0;
  std::string frame_id;
  std::vector<Box> boxes;
};

// A reader-only Fast DDS type named `name`; `read` decodes one sample's CDR (after the
// encapsulation) into a T, throwing when the bytes run out.
template <class T>
class ReaderType : public dds::TopicDataType {
 public:
  using Read = void (*)(Cdr&, T&);
  ReaderType(const char* name, Read read) : read_(read) {
    setName(name);
    m_typeSize = 1 << 16;
    m_isGetKeyDefined = false;
  }
  bool serialize(void*, SerializedPayload_t*) override { return false; }
  bool deserialize(SerializedPayload_t* payload, void* data) override {
    eprosima::fastcdr::FastBuffer buf(reinterpret_cast<char*>(payload->data), payload->length);
    Cdr cdr(buf, Cdr::DEFAULT_ENDIAN, Cdr::DDS_CDR);
    try {
      cdr.read_encapsulation();
      read_(cdr, *static_cast<T*>(data));
    } catch (const std::exception&) {
      return false;
    }
    return true;
  }
  std::function<uint32_t()> getSerializedSizeProvider(void*) override {
    return [] { return 1u << 16; };
  }
  void* createData() override { return new T(); }
  void deleteData(void* d) override { delete static_cast<T*>(d); }
  bool getKey(void*, eprosima::fastrtps::rtps::InstanceHandle_t*, bool) override { return false; }

 private:
  Read read_;
};

// One ObjectHypothesisWithPose: class_id, score, pose (7 doubles) and its covariance (36).
void read_hypothesis(Cdr& cdr, std::string& class_id, double& score, double (&pose)[7]) {
  double cov[36];
  cdr >> class_id >> score;
  for (double& v : pose) cdr >> v;
  for (double& v : cov) cdr >> v;
}

// vision_msgs/Detection2DArray (Humble), read field by field.
void read_detections(Cdr& cdr, Detections& d) {
  cdr >> d.sec >> d.nanosec >> d.frame_id;
  uint32_t n = 0;
  cdr >> n;
  d.boxes.resize(n);
  for (Box& b : d.boxes) {
    int32_t sec;
    uint32_t nsec, results;
    std::string frame_id, id;
    cdr >> sec >> nsec >> frame_id >> results;
    for (uint32_t r = 0; r < results; ++r) {
      double pose[7], score;
      std::string class_id;
      read_hypothesis(cdr, class_id, score, pose);
      if (r == 0) b.class_id = class_id, b.score = score, b.distance = pose[2];
    }
    double theta;
    cdr >> b.cx >> b.cy >> theta >> b.w >> b.h >> id;
  }
}

struct Object3d {
  std::string class_id, id;
  double x = 0, y = 0, z = 0, sx = 0, sy = 0, sz = 0, qw = 0;
};
struct Detections3d {
  std::string frame_id;
  std::vector<Object3d> objects;
};

// vision_msgs/Detection3DArray (Humble and later: header, results, bbox, id), field by field.
void read_detections_3d(Cdr& cdr, Detections3d& d) {
  int32_t sec;
  uint32_t nsec, n = 0;
  cdr >> sec >> nsec >> d.frame_id >> n;
  d.objects.resize(n);
  for (Object3d& o : d.objects) {
    std::string frame_id;
    uint32_t results;
    cdr >> sec >> nsec >> frame_id >> results;
    for (uint32_t r = 0; r < results; ++r) {
      double pose[7], score;
      std::string class_id;
      read_hypothesis(cdr, class_id, score, pose);
      if (r == 0) o.class_id = class_id;
    }
    double qx, qy, qz;
    cdr >> o.x >> o.y >> o.z >> qx >> qy >> qz >> o.qw >> o.sx >> o.sy >> o.sz >> o.id;
  }
}

// A reader that only matches a topic (percept waits for a subscriber on each of its topics
// before publishing); its samples are not decoded.
void read_nothing(Cdr&, int&) {}

// A Fast DDS participant on loopback only, UDP only, unicast discovery to the local ports.
dds::DomainParticipant* loopback_fastdds(int domain) {
  dds::DomainParticipantQos pqos;
  pqos.transport().use_builtin_transports = false;
  auto udp = std::make_shared<eprosima::fastdds::rtps::UDPv4TransportDescriptor>();
  udp->interfaceWhiteList.push_back("127.0.0.1");
  pqos.transport().user_transports.push_back(udp);
  eprosima::fastrtps::rtps::Locator_t peer;
  eprosima::fastrtps::rtps::IPLocator::setIPv4(peer, 127, 0, 0, 1);
  pqos.wire_protocol().builtin.initialPeersList.push_back(peer);
  pqos.wire_protocol().builtin.discovery_config.leaseDuration_announcementperiod =
      eprosima::fastrtps::Duration_t(0, 200000000);
  return dds::DomainParticipantFactory::get_instance()->create_participant(domain, pqos);
}

TEST(Ros2FastDds, FastDdsReceivesPerceptDetections) {
  const int domain = percept::test::random_domain();
  const fs::path dir =
      fs::path(PERCEPT_BUILD_DIR) / "testdata" / ("ros2_fastdds_" + std::to_string(getpid()));
  fs::create_directories(dir);
  constexpr int kFrames = 5;
  percept::test::write_file(
      (dir / "config.yaml").string(), R"(mode: lossless
cameras:
  - {id: front, source: synthetic, width: 320, height: 240, frames: )" +
                                          std::to_string(kFrames) + R"(}
models:
  - {id: detector, path: )" + std::string(PERCEPT_MODELS) +
                                          R"(/shapes_yolov8.onnx, conf: 0.05, threads: 1}
output: {dir: )" + (dir / "out").string() +
                                          R"(, video: false}
ros2:
  enabled: true
  domain_id: )" + std::to_string(domain) + R"(
  localhost_only: true
  depth: 100
  max_blocking_ms: 1000
  diagnostics_hz: 0
  wait_for_subscribers_s: 30
  namespace: fdds_)" + std::to_string(getpid()) +
                                          R"(
)");

  // Loopback only (Cyclone's localhost-only percept does the same).
  auto* factory = dds::DomainParticipantFactory::get_instance();
  dds::DomainParticipant* pp = loopback_fastdds(domain);
  ASSERT_NE(pp, nullptr);
  dds::TypeSupport type(
      new ReaderType<Detections>("vision_msgs::msg::dds_::Detection2DArray_", read_detections));
  ASSERT_EQ(type.register_type(pp), ReturnCode_t::RETCODE_OK);
  dds::Topic* topic =
      pp->create_topic("rt/fdds_" + std::to_string(getpid()) + "/front/detector/detections",
                       type.get_type_name(), dds::TOPIC_QOS_DEFAULT);
  ASSERT_NE(topic, nullptr);
  dds::Subscriber* sub = pp->create_subscriber(dds::SUBSCRIBER_QOS_DEFAULT);
  dds::DataReaderQos rqos = dds::DATAREADER_QOS_DEFAULT;
  rqos.reliability().kind = dds::RELIABLE_RELIABILITY_QOS;
  rqos.history().kind = dds::KEEP_ALL_HISTORY_QOS;
  dds::DataReader* reader = sub->create_datareader(topic, rqos);
  ASSERT_NE(reader, nullptr);

  const std::string cmd = std::string(PERCEPT_BINARY) + " run " + (dir / "config.yaml").string() +
                          " > " + (dir / "run.log").string() + " 2>&1";
  const int rc = std::system(cmd.c_str());
  EXPECT_EQ(rc, 0) << "percept run failed, see " << (dir / "run.log");

  int messages = 0, boxes = 0;
  for (int waited = 0; waited < 100 && messages < kFrames; ++waited) {
    Detections d;
    dds::SampleInfo info;
    while (reader->take_next_sample(&d, &info) == ReturnCode_t::RETCODE_OK) {
      if (!info.valid_data) continue;
      ++messages;
      EXPECT_EQ(d.frame_id, "front");
      EXPECT_GT(d.sec, 1600000000);
      for (const Box& b : d.boxes) {
        ++boxes;
        EXPECT_FALSE(b.class_id.empty());
        EXPECT_GT(b.score, 0.0);
        EXPECT_LE(b.score, 1.0);
        EXPECT_TRUE(std::isnan(b.distance)) << "no depth model: distance is NaN";
        EXPECT_GT(b.w, 0.0);
        EXPECT_GT(b.h, 0.0);
      }
    }
    if (messages < kFrames) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(messages, kFrames) << "Fast DDS did not receive every Detection2DArray";
  EXPECT_GT(boxes, 0);
  pp->delete_contained_entities();
  factory->delete_participant(pp);
}

// Tracked 3D detections (issue 16) decoded by Fast DDS: the same positions, sizes and track ids
// as the run's JSONL.
TEST(Ros2FastDds, FastDdsReceivesTracked3dDetections) {
  const int domain = percept::test::random_domain();
  const fs::path dir =
      fs::path(PERCEPT_BUILD_DIR) / "testdata" / ("ros2_fastdds3d_" + std::to_string(getpid()));
  fs::create_directories(dir);
  constexpr int kFrames = 8;
  const std::string models = PERCEPT_MODELS;
  percept::test::write_file((dir / "config.yaml").string(), R"(mode: lossless
cameras:
  - {id: front, source: synthetic, width: 320, height: 240, objects: 3, frames: )" +
                                                                std::to_string(kFrames) + R"(,
     intrinsics: {fx: 300, fy: 300, cx: 160, cy: 120}}
models:
  - {id: detector, path: )" + models + R"(/shapes_yolov8.onnx, threads: 1, tracker: bytetrack}
  - {id: depth, path: )" + models + R"(/scene_depth.onnx, threads: 1}
output: {dir: )" + (dir / "out").string() + R"(, video: false}
ros2:
  enabled: true
  domain_id: )" + std::to_string(domain) + R"(
  localhost_only: true
  depth: 100
  max_blocking_ms: 1000
  diagnostics_hz: 0
  wait_for_subscribers_s: 30
  namespace: f3d_)" + std::to_string(getpid()) + R"(
)");
  dds::DomainParticipant* pp = loopback_fastdds(domain);
  ASSERT_NE(pp, nullptr);
  dds::TypeSupport type(new ReaderType<Detections3d>("vision_msgs::msg::dds_::Detection3DArray_",
                                                     read_detections_3d));
  ASSERT_EQ(type.register_type(pp), ReturnCode_t::RETCODE_OK);
  dds::Topic* topic =
      pp->create_topic("rt/f3d_" + std::to_string(getpid()) + "/front/detector/detections_3d",
                       type.get_type_name(), dds::TOPIC_QOS_DEFAULT);
  ASSERT_NE(topic, nullptr);
  dds::Subscriber* sub = pp->create_subscriber(dds::SUBSCRIBER_QOS_DEFAULT);
  dds::DataReaderQos rqos = dds::DATAREADER_QOS_DEFAULT;
  rqos.reliability().kind = dds::RELIABLE_RELIABILITY_QOS;
  rqos.history().kind = dds::KEEP_ALL_HISTORY_QOS;
  dds::DataReader* reader = sub->create_datareader(topic, rqos);
  ASSERT_NE(reader, nullptr);
  // The run's other topics, matched only, so that percept does not wait for their subscribers.
  const std::string base = "rt/f3d_" + std::to_string(getpid()) + "/front/";
  dds::TypeSupport d2(
      new ReaderType<int>("vision_msgs::msg::dds_::Detection2DArray_", read_nothing));
  dds::TypeSupport img(new ReaderType<int>("sensor_msgs::msg::dds_::Image_", read_nothing));
  dds::TypeSupport cam(new ReaderType<int>("sensor_msgs::msg::dds_::CameraInfo_", read_nothing));
  ASSERT_EQ(d2.register_type(pp), ReturnCode_t::RETCODE_OK);
  ASSERT_EQ(img.register_type(pp), ReturnCode_t::RETCODE_OK);
  ASSERT_EQ(cam.register_type(pp), ReturnCode_t::RETCODE_OK);
  for (const auto& [name, t] : {std::pair{base + "detector/detections", d2.get_type_name()},
                                std::pair{base + "depth/depth", img.get_type_name()},
                                std::pair{base + "camera_info", cam.get_type_name()}}) {
    dds::Topic* other = pp->create_topic(name, t, dds::TOPIC_QOS_DEFAULT);
    ASSERT_NE(other, nullptr) << name;
    ASSERT_NE(sub->create_datareader(other, rqos), nullptr) << name;
  }
  const std::string cmd = std::string(PERCEPT_BINARY) + " run " + (dir / "config.yaml").string() +
                          " > " + (dir / "run.log").string() + " 2>&1";
  EXPECT_EQ(std::system(cmd.c_str()), 0) << "percept run failed, see " << (dir / "run.log");
  const std::vector<nlohmann::json> lines =
      percept::test::jsonl_lines((dir / "out" / "detections.jsonl").string(), "detector");
  ASSERT_EQ(lines.size(), static_cast<size_t>(kFrames));
  int messages = 0, objects = 0, tracked = 0;
  for (int waited = 0; waited < 100 && messages < kFrames; ++waited) {
    Detections3d d;
    dds::SampleInfo info;
    while (reader->take_next_sample(&d, &info) == ReturnCode_t::RETCODE_OK) {
      if (!info.valid_data) continue;
      ASSERT_LT(messages, kFrames);
      std::vector<nlohmann::json> want;
      for (const auto& w : lines[static_cast<size_t>(messages)].at("detections"))
        if (w.contains("position_m")) want.push_back(w);
      ++messages;
      EXPECT_EQ(d.frame_id, "front");
      ASSERT_EQ(d.objects.size(), want.size());
      for (size_t i = 0; i < want.size(); ++i) {
        const Object3d& o = d.objects[i];
        ++objects;
        EXPECT_EQ(o.class_id, want[i]["label"].get<std::string>());
        EXPECT_NEAR(o.x, want[i]["position_m"][0].get<double>(), 1e-3);
        EXPECT_NEAR(o.y, want[i]["position_m"][1].get<double>(), 1e-3);
        EXPECT_NEAR(o.z, want[i]["position_m"][2].get<double>(), 1e-3);
        EXPECT_NEAR(o.sx, want[i]["size_m"][0].get<double>(), 1e-3);
        EXPECT_NEAR(o.sy, want[i]["size_m"][1].get<double>(), 1e-3);
        EXPECT_EQ(o.qw, 1.0);
        if (want[i].contains("track_id")) {
          ++tracked;
          EXPECT_EQ(o.id, std::to_string(want[i]["track_id"].get<int64_t>()));
        }
      }
    }
    if (messages < kFrames) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(messages, kFrames) << "Fast DDS did not receive every Detection3DArray";
  EXPECT_GT(objects, kFrames);
  EXPECT_GT(tracked, kFrames);
  pp->delete_contained_entities();
  dds::DomainParticipantFactory::get_instance()->delete_participant(pp);
}

}  // namespace
