// One small vision_msgs/Detection2DArray serialised by the generated type, byte for byte
// against its XCDR1 (plain CDR, little endian) encoding written out by hand below: what a ROS
// 2 node (rmw_cyclonedds, rmw_fastrtps) puts on the wire for the same message.
#include <dds/dds.h>
#include <dds/ddsi/ddsi_serdata.h>
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "dds_test_util.hpp"
#include "ros2_msgs.h"

namespace {

using Bytes = std::vector<uint8_t>;

// CDR: each primitive aligned to its size, relative to the start of the body (after the
// 4-byte encapsulation header).
struct Cdr {
  Bytes b;
  void align(size_t n) {
    while (b.size() % n) b.push_back(0);
  }
  void u32(uint32_t v) {
    align(4);
    for (int i = 0; i < 4; ++i) b.push_back(static_cast<uint8_t>(v >> (8 * i)));
  }
  void f64(double v) {
    align(8);
    uint64_t u;
    std::memcpy(&u, &v, 8);
    for (int i = 0; i < 8; ++i) b.push_back(static_cast<uint8_t>(u >> (8 * i)));
  }
  void str(const char* s) {  // length with the terminating NUL, then the bytes and the NUL
    u32(static_cast<uint32_t>(std::strlen(s) + 1));
    for (const char* p = s; *p; ++p) b.push_back(static_cast<uint8_t>(*p));
    b.push_back(0);
  }
};

TEST(Xcdr1, Detection2DArrayMatchesHandEncoding) {
  // The message: one detection "box" 0.5 at (10, 20) size 4x6, 2 m away, stamped 1 s 2 ns.
  vision_msgs_msg_dds__ObjectHypothesisWithPose_ hyp{};
  hyp.hypothesis_.class_id_ = const_cast<char*>("box");
  hyp.hypothesis_.score_ = 0.5;
  hyp.pose_.pose_.position_.z_ = 2.0;
  hyp.pose_.pose_.orientation_.w_ = 1.0;
  vision_msgs_msg_dds__Detection2D_ det{};
  det.header_.stamp_.sec_ = 1;
  det.header_.stamp_.nanosec_ = 2;
  det.header_.frame_id_ = const_cast<char*>("cam");
  det.results_ = {1, 1, &hyp, false};
  det.bbox_.center_.position_.x_ = 10;
  det.bbox_.center_.position_.y_ = 20;
  det.bbox_.size_x_ = 4;
  det.bbox_.size_y_ = 6;
  det.id_ = const_cast<char*>("");
  vision_msgs_msg_dds__Detection2DArray_ msg{};
  msg.header_ = det.header_;
  msg.detections_ = {1, 1, &det, false};

  // The same message by hand, field by field in .msg order.
  Cdr e;
  e.u32(1), e.u32(2), e.str("cam");  // header: stamp.sec, stamp.nanosec, frame_id
  e.u32(1);                          // detections: length
  e.u32(1), e.u32(2), e.str("cam");  //   header
  e.u32(1);                          //   results: length
  e.str("box"), e.f64(0.5);          //     hypothesis: class_id, score
  for (double v : {0.0, 0.0, 2.0, 0.0, 0.0, 0.0, 1.0}) e.f64(v);  // pose: position, orientation
  for (int i = 0; i < 36; ++i) e.f64(0);                          // covariance[36]
  for (double v : {10.0, 20.0, 0.0, 4.0, 6.0}) e.f64(v);          // bbox: center x, y, theta; size
  e.str("");                                                      //   id
  ASSERT_EQ(e.b.size(), 445u);  // worked out on paper: see the offsets in docs/ROS2.md

  // Serialise through Cyclone: a local writer and reader, the reader's serialised sample.
  const int domain = percept::test::random_domain();
  const dds_entity_t pp = percept::test::loopback_participant(domain);
  ASSERT_GT(pp, 0) << dds_strretcode(pp);
  const dds_entity_t topic = dds_create_topic(pp, &vision_msgs_msg_dds__Detection2DArray__desc,
                                              "rt/xcdr1_check", nullptr, nullptr);
  ASSERT_GT(topic, 0);
  dds_qos_t* qos = percept::test::reliable_keep_all();
  const dds_data_representation_id_t xcdr1 = DDS_DATA_REPRESENTATION_XCDR1;
  dds_qset_data_representation(qos, 1, &xcdr1);
  const dds_entity_t reader = dds_create_reader(pp, topic, qos, nullptr);
  const dds_entity_t writer = dds_create_writer(pp, topic, qos, nullptr);
  dds_delete_qos(qos);
  ASSERT_GT(reader, 0);
  ASSERT_GT(writer, 0);
  ASSERT_EQ(dds_write(writer, &msg), DDS_RETCODE_OK);
  struct ddsi_serdata* sd = nullptr;
  dds_sample_info_t info;
  int n = 0;
  for (int tries = 0; tries < 200 && n <= 0; ++tries) {
    n = dds_takecdr(reader, &sd, 1, &info, DDS_ANY_STATE);
    if (n <= 0) dds_sleepfor(DDS_MSECS(10));
  }
  ASSERT_EQ(n, 1);
  const uint32_t size = ddsi_serdata_size(sd);
  Bytes wire(size);
  ddsi_serdata_to_ser(sd, 0, size, wire.data());
  ddsi_serdata_unref(sd);
  dds_delete(pp);

  // Encapsulation header: CDR_LE (0x0001), options 0x0000 or the count of padding bytes
  // appended to reach a multiple of 4 (DDSI-RTPS 2.5, 10.4).
  ASSERT_GE(wire.size(), 4u + e.b.size());
  EXPECT_EQ(wire[0], 0x00);
  EXPECT_EQ(wire[1], 0x01) << "not CDR_LE (XCDR1 little endian)";
  const Bytes body(wire.begin() + 4, wire.begin() + 4 + static_cast<long>(e.b.size()));
  EXPECT_EQ(body, e.b);
  const size_t pad = wire.size() - 4 - e.b.size();
  EXPECT_LT(pad, 4u);
  for (size_t i = 0; i < pad; ++i) EXPECT_EQ(wire[4 + e.b.size() + i], 0);
  EXPECT_EQ(wire[2], 0x00);
  EXPECT_TRUE(wire[3] == 0 || wire[3] == pad) << "options " << int(wire[3]) << ", padding " << pad;
}

}  // namespace
