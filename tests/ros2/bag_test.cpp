// Recording (docs/ROS2.md, "Recording"): the CDR the bag stores is byte for byte what a DDS
// reader receives for the same sample; the MCAP writer on a full disk (/dev/full) reports each
// lost chunk and goes on; the `output.bag` config section and its FILE:LINE errors. The files
// themselves are read back by an independent reader (tests/bag/bag.test.mjs, @mcap/core).
#include <dds/dds.h>
#include <dds/ddsi/ddsi_serdata.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <vector>

#include "cdr.hpp"
#include "dds_test_util.hpp"
#include "mcap_writer.hpp"
#include "percept/pipeline/config.hpp"
#include "ros2_msgs.h"
#include "support/config_test_fixture.hpp"

namespace percept {
namespace {

using Bytes = std::vector<uint8_t>;

// What an independent Cyclone reader receives for `sample`: the serialised sample as it left
// the writer (encapsulation header included).
Bytes received(const dds_topic_descriptor_t* type, const void* sample) {
  const int domain = test::random_domain();
  const dds_entity_t pp = test::loopback_participant(domain);
  EXPECT_GT(pp, 0) << dds_strretcode(pp);
  const std::string name = std::string("rt/bag_check_") + std::to_string(domain);
  const dds_entity_t topic = dds_create_topic(pp, type, name.c_str(), nullptr, nullptr);
  dds_qos_t* qos = test::reliable_keep_all();
  const dds_data_representation_id_t xcdr1 = DDS_DATA_REPRESENTATION_XCDR1;
  dds_qset_data_representation(qos, 1, &xcdr1);
  const dds_entity_t reader = dds_create_reader(pp, topic, qos, nullptr);
  const dds_entity_t writer = dds_create_writer(pp, topic, qos, nullptr);
  dds_delete_qos(qos);
  EXPECT_EQ(dds_write(writer, sample), DDS_RETCODE_OK);
  struct ddsi_serdata* sd = nullptr;
  dds_sample_info_t info;
  int n = 0;
  for (int tries = 0; tries < 200 && n <= 0; ++tries) {
    n = dds_takecdr(reader, &sd, 1, &info, DDS_ANY_STATE);
    if (n <= 0) dds_sleepfor(DDS_MSECS(10));
  }
  Bytes wire;
  if (n == 1) {
    wire.resize(ddsi_serdata_size(sd));
    ddsi_serdata_to_ser(sd, 0, wire.size(), wire.data());
    ddsi_serdata_unref(sd);
  }
  dds_delete(pp);
  return wire;
}

TEST(BagCdr, Detection2DArrayEqualsWhatADdsReaderReceives) {
  vision_msgs_msg_dds__ObjectHypothesisWithPose_ hyp{};
  hyp.hypothesis_.class_id_ = const_cast<char*>("circle");
  hyp.hypothesis_.score_ = 0.75;
  hyp.pose_.pose_.position_.z_ = 3.5;
  hyp.pose_.pose_.orientation_.w_ = 1.0;
  vision_msgs_msg_dds__Detection2D_ det[2]{};
  for (auto& d : det) {
    d.header_.stamp_.sec_ = 1765000000;
    d.header_.stamp_.nanosec_ = 123456789;
    d.header_.frame_id_ = const_cast<char*>("front_optical");
    d.results_ = {1, 1, &hyp, false};
    d.bbox_.size_x_ = 12;
    d.id_ = const_cast<char*>("7");
  }
  det[1].id_ = const_cast<char*>("");  // odd lengths: the body ends unaligned, padding follows
  vision_msgs_msg_dds__Detection2DArray_ msg{};
  msg.header_ = det[0].header_;
  msg.detections_ = {2, 2, det, false};

  ros2::CdrSerializer cdr;
  auto mine = cdr.serialize(&msg, &vision_msgs_msg_dds__Detection2DArray__desc);
  ASSERT_TRUE(mine.ok()) << mine.error().message();
  const Bytes wire = received(&vision_msgs_msg_dds__Detection2DArray__desc, &msg);
  ASSERT_FALSE(wire.empty());
  EXPECT_EQ(**mine, wire);
  EXPECT_EQ((**mine)[1], 0x01);  // CDR_LE
}

TEST(BagCdr, ImageEqualsWhatADdsReaderReceives) {
  std::vector<uint8_t> pixels(7 * 3 * 5);  // rgb8 7x5: 105 bytes, 3 short of a multiple of 4
  for (size_t i = 0; i < pixels.size(); ++i) pixels[i] = static_cast<uint8_t>(i * 7);
  sensor_msgs_msg_dds__Image_ img{};
  img.header_.stamp_.sec_ = 5;
  img.header_.frame_id_ = const_cast<char*>("cam");
  img.height_ = 5;
  img.width_ = 7;
  img.encoding_ = const_cast<char*>("rgb8");
  img.step_ = 21;
  img.data_ = {static_cast<uint32_t>(pixels.size()), static_cast<uint32_t>(pixels.size()),
               pixels.data(), false};
  ros2::CdrSerializer cdr;
  auto mine = cdr.serialize(&img, &sensor_msgs_msg_dds__Image__desc);
  ASSERT_TRUE(mine.ok());
  const Bytes wire = received(&sensor_msgs_msg_dds__Image__desc, &img);
  EXPECT_EQ(**mine, wire);
  // The same serialiser again, a smaller sample: nothing of the first one is left.
  img.data_._length = img.data_._maximum = 21;
  img.height_ = 1;
  auto second = cdr.serialize(&img, &sensor_msgs_msg_dds__Image__desc);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(**second, received(&sensor_msgs_msg_dds__Image__desc, &img));
}

// /dev/full: every write fails with ENOSPC. Each chunk is reported with its lost messages and
// the writer takes the next message as if nothing happened.
TEST(BagMcap, FullDiskReportsEachLostChunkAndGoesOn) {
  mcap::Writer w;
  mcap::WriterOptions o;
  o.chunk_bytes = 64;  // every message closes its chunk
  ASSERT_TRUE(w.open("/dev/full", o).ok());
  const uint16_t s = w.add_schema("std_msgs/msg/Empty", "ros2msg", "");
  const uint16_t c = w.add_channel(s, "/x", "cdr", {{"offered_qos_profiles", ""}});
  const uint8_t payload[100] = {0, 1, 0, 0};
  for (int i = 0; i < 3; ++i) {
    Status st = w.write(c, 10 + i, 10 + i, nullptr, 0, payload, sizeof payload);
    ASSERT_FALSE(st.ok());
    EXPECT_EQ(st.error().code(), ErrorCode::io);
    EXPECT_NE(st.error().message().find("No space left on device"), std::string::npos)
        << st.error().message();
    EXPECT_NE(st.error().message().find("1 messages lost"), std::string::npos);
  }
  EXPECT_EQ(w.messages_lost(), 3u);
  EXPECT_EQ(w.messages_written(), 0u);
  EXPECT_FALSE(w.close().ok());
}

TEST(BagMcap, CannotCreateIsAnError) {
  mcap::Writer w;
  const Status st = w.open("/nonexistent-dir/x.mcap", {});
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message().find("/nonexistent-dir/x.mcap"), std::string::npos);
}

TEST(Crc32, KnownValue) {
  EXPECT_EQ(mcap::crc32(0, "123456789", 9), 0xCBF43926u);  // the CRC-32 check value
}

class BagConfigTest : public test::ConfigFileTest {};

constexpr const char* kBase = R"(cameras:
  - {id: front, source: synthetic}
models:
  - {id: det, path: m.onnx}
output:
)";

TEST_F(BagConfigTest, ReadsTheSection) {
  auto cfg = load_pipeline_config(write(std::string(kBase) + R"(  dir: out
  bag: {path: rec/run.mcap, format: mcap, compression: zstd, images: true, chunk_mib: 2,
        chunk_s: 0.5}
)"));
  ASSERT_TRUE(cfg.output.bag.has_value());
  EXPECT_EQ(cfg.output.bag->path, (dir_ / "rec/run.mcap").string());
  EXPECT_EQ(cfg.output.bag->compression, BagCompression::zstd);
  EXPECT_TRUE(cfg.output.bag->images);
  EXPECT_EQ(cfg.output.bag->chunk_bytes, 2u << 20);
  EXPECT_DOUBLE_EQ(cfg.output.bag->chunk_s, 0.5);
  cfg = load_pipeline_config(write(std::string(kBase) + "  dir: out\n  bag: {}\n"));
  ASSERT_TRUE(cfg.output.bag.has_value());
  EXPECT_EQ(cfg.output.bag->path, (dir_ / "out/percept.mcap").string());
  EXPECT_EQ(cfg.output.bag->compression, BagCompression::none);
  EXPECT_FALSE(cfg.output.bag->images);
  cfg = load_pipeline_config(write(std::string(kBase) + "  dir: out\n  bag: {format: sqlite3}\n"));
  EXPECT_EQ(cfg.output.bag->format, BagFormat::sqlite3);
  EXPECT_EQ(cfg.output.bag->path, (dir_ / "out/percept_bag").string());
  cfg = load_pipeline_config(write(std::string(kBase) + "  bag: x.mcap\n"));
  EXPECT_EQ(cfg.output.bag->format, BagFormat::mcap);
  EXPECT_EQ(cfg.output.bag->path, (dir_ / "x.mcap").string());
  cfg = load_pipeline_config(write(std::string(kBase) + "  jsonl: true\n"));
  EXPECT_FALSE(cfg.output.bag.has_value());
}

TEST_F(BagConfigTest, BadValuesFailWithFileAndLine) {
  const std::string b = kBase;
  expect_error(b + "  bag: {format: rosbag}\n", 6,
               {"output.bag.format", "unknown format 'rosbag'", "mcap, sqlite3"});
  expect_error(b + "  bag: {format: sqlite3, compression: zstd}\n", 6,
               {"output.bag.compression", "sqlite3 bags store messages as they are"});
  std::ofstream(dir_ / "a_file") << "x";
  expect_error(b + "  bag: {format: sqlite3, path: a_file}\n", 6,
               {"output.bag.path", "sqlite3 bags are folders"});
  expect_error(b + "  bag: {compression: gzip}\n", 6, {"output.bag.compression", "zstd, lz4"});
  expect_error(b + "  bag: {images: maybe}\n", 6, {"output.bag.images", "true or false"});
  expect_error(b + "  bag: {chunk_s: 0}\n", 6, {"output.bag.chunk_s", "out of range"});
  expect_error(b + "  bag: {pth: a.mcap}\n", 6, {"unknown key 'pth'", "output.bag"});
  std::filesystem::create_directories(dir_ / "already_a_folder");
  expect_error(b + "  bag:\n    path: already_a_folder\n", 7, {"output.bag.path", "is a folder"});
  std::ofstream(dir_ / "plain_file") << "x";
  expect_error(b + "  bag: {path: plain_file/run.mcap}\n", 6,
               {"output.bag.path", "cannot write", "is not a folder"});
}

}  // namespace
}  // namespace percept
