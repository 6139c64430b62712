// An independent ROS 2 subscriber for the two-machine test (netns_test.sh): plain Cyclone DDS C
// API, none of percept's code, the default Cyclone configuration (or $CYCLONEDDS_URI), so it
// discovers percept across the veth link the way a ROS 2 node on another computer would.
//   netns_subscriber DOMAIN TOPIC COUNT TIMEOUT_S
// Prints "received N messages, B boxes"; exit 0 when N >= COUNT.
#include <dds/dds.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "ros2_msgs.h"

int main(int argc, char** argv) {
  if (argc != 5) {
    std::fprintf(stderr, "usage: %s DOMAIN TOPIC COUNT TIMEOUT_S\n", argv[0]);
    return 2;
  }
  const auto domain = static_cast<dds_domainid_t>(std::atoi(argv[1]));
  const std::string topic = argv[2];
  const int want = std::atoi(argv[3]);
  const double timeout_s = std::atof(argv[4]);
  const dds_entity_t pp = dds_create_participant(domain, nullptr, nullptr);
  if (pp < 0) {
    std::fprintf(stderr, "participant: %s\n", dds_strretcode(pp));
    return 1;
  }
  const dds_entity_t t = dds_create_topic(pp, &vision_msgs_msg_dds__Detection2DArray__desc,
                                          topic.c_str(), nullptr, nullptr);
  dds_qos_t* q = dds_create_qos();
  dds_qset_reliability(q, DDS_RELIABILITY_RELIABLE, DDS_SECS(1));
  dds_qset_history(q, DDS_HISTORY_KEEP_ALL, 0);
  const dds_entity_t reader = dds_create_reader(pp, t, q, nullptr);
  dds_delete_qos(q);
  if (t < 0 || reader < 0) {
    std::fprintf(stderr, "topic/reader: %s\n", dds_strretcode(t < 0 ? t : reader));
    return 1;
  }
  std::printf("subscribed to %s on domain %d\n", topic.c_str(), static_cast<int>(domain));
  std::fflush(stdout);
  int messages = 0, boxes = 0;
  const dds_time_t until = dds_time() + static_cast<dds_duration_t>(timeout_s * 1e9);
  while (messages < want && dds_time() < until) {
    void* samples[16] = {nullptr};
    dds_sample_info_t infos[16];
    const int n = dds_take(reader, samples, infos, 16, 16);
    for (int i = 0; i < n; ++i)
      if (infos[i].valid_data) {
        ++messages;
        boxes +=
            static_cast<int>(static_cast<const vision_msgs_msg_dds__Detection2DArray_*>(samples[i])
                                 ->detections_._length);
      }
    if (n > 0) dds_return_loan(reader, samples, n);
    if (n <= 0) dds_sleepfor(DDS_MSECS(20));
  }
  std::printf("received %d messages, %d boxes\n", messages, boxes);
  dds_delete(pp);
  return messages >= want ? 0 : 1;
}
