// The QoS percept's ROS 2 writers offer, by its effect on a reader (plain Cyclone DDS on a
// loopback domain of the test's own): lifespan drops a message older than it from the reader's
// cache before it is read (issue 22: stale results never reach a subscriber that fell behind).
#include <dds/dds.h>
#include <gtest/gtest.h>

#include "dds_context.hpp"
#include "dds_test_util.hpp"
#include "ros2_msgs.h"

namespace percept {
namespace {

// Writes one message with a writer of `lifespan_ms`, waits `wait_ms`, and counts what a
// reliable keep-all reader can still take.
int left_after(dds_entity_t participant, dds_entity_t topic, double lifespan_ms, int wait_ms) {
  dds_qos_t* wq = ros2::create_qos(Ros2Qos::reliable, 10, 0, 5, lifespan_ms);
  const dds_entity_t writer = dds_create_writer(participant, topic, wq, nullptr);
  dds_delete_qos(wq);
  dds_qos_t* rq = test::reliable_keep_all();
  const dds_entity_t reader = dds_create_reader(participant, topic, rq, nullptr);
  dds_delete_qos(rq);
  EXPECT_GT(writer, 0);
  EXPECT_GT(reader, 0);
  EXPECT_TRUE(test::wait_matched(writer, 1, 10));
  std_msgs_msg_dds__Header_ msg{};
  msg.frame_id_ = const_cast<char*>("cam");
  EXPECT_EQ(dds_write(writer, &msg), DDS_RETCODE_OK);
  dds_sleepfor(DDS_MSECS(wait_ms));
  void* samples[4] = {};
  dds_sample_info_t infos[4];
  const int n = dds_take(reader, samples, infos, 4, 4);
  int valid = 0;
  for (int i = 0; i < n; ++i) valid += infos[i].valid_data ? 1 : 0;
  if (n > 0) dds_return_loan(reader, samples, n);
  dds_delete(reader);
  dds_delete(writer);
  return valid;
}

TEST(Ros2Qos, LifespanDropsAStaleMessageBeforeItIsRead) {
  const dds_entity_t participant = test::loopback_participant(test::random_domain());
  ASSERT_GT(participant, 0);
  const dds_entity_t topic = dds_create_topic(participant, &std_msgs_msg_dds__Header__desc,
                                              "rt/percept_lifespan_test", nullptr, nullptr);
  ASSERT_GT(topic, 0);
  EXPECT_EQ(left_after(participant, topic, 0, 400), 1);     // no lifespan: still there
  EXPECT_EQ(left_after(participant, topic, 100, 400), 0);   // 100 ms: gone after 400 ms
  EXPECT_EQ(left_after(participant, topic, 5000, 400), 1);  // 5 s: still fresh
  dds_delete(participant);
}

}  // namespace
}  // namespace percept
