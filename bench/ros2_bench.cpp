// Publish-to-receive latency of percept's ROS 2 images on loopback: 640x480 rgb8 (a camera
// frame, the annotated topic) and 1280x720 32FC1 (a depth map), with percept's DDS settings
// (src/ros2/dds_context: localhost-only domain, socket buffers, QoS presets, XCDR1).
// The receiver is a forked process, so every message crosses the loopback network as it would
// to a ROS 2 node; the header stamp carries the send time (CLOCK_MONOTONIC, shared by both
// processes). Prints medians and p90 per size and QoS; docs/PERFORMANCE.md has the figures.
//   build-dds/bench/bench_ros2 [messages per case, default 200]
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "../src/ros2/dds_context.hpp"
#include "percept/ros2/ros2.hpp"
#include "ros2_msgs.h"

namespace {

using namespace percept;

int64_t mono_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

struct Case {
  const char* name;
  uint32_t width, height, bytes_per_pixel;
  const char* encoding;
  Ros2Qos qos;
};

// Child: receives `count` messages (or stops after 10 s of silence) and writes one latency
// (ns) per message to `fd`.
void receive(const Ros2Config& dds, const Case& c, const std::string& topic, int count, int fd) {
  ros2::Entity pp = ros2::create_participant(dds);
  ros2::Entity t(ros2::check(dds_create_topic(pp.get(), &sensor_msgs_msg_dds__Image__desc,
                                              topic.c_str(), nullptr, nullptr),
                             "topic"));
  dds_qos_t* q = ros2::create_qos(c.qos, 0, 0, 100);
  ros2::Entity r(ros2::check(dds_create_reader(pp.get(), t.get(), q, nullptr), "reader"));
  dds_delete_qos(q);
  dds_set_status_mask(r.get(), DDS_DATA_AVAILABLE_STATUS);
  ros2::Entity ws(dds_create_waitset(pp.get()));
  dds_waitset_attach(ws.get(), r.get(), 0);
  std::vector<int64_t> lat;
  int64_t last = mono_ns();
  while (static_cast<int>(lat.size()) < count && mono_ns() - last < 10'000'000'000) {
    dds_waitset_wait(ws.get(), nullptr, 0, DDS_MSECS(100));
    void* s[8] = {nullptr};
    dds_sample_info_t info[8];
    const int n = dds_take(r.get(), s, info, 8, 8);
    const int64_t now = mono_ns();
    for (int i = 0; i < n; ++i)
      if (info[i].valid_data) {
        const auto* m = static_cast<const sensor_msgs_msg_dds__Image_*>(s[i]);
        lat.push_back(now - (static_cast<int64_t>(m->header_.stamp_.sec_) * 1000000000 +
                             m->header_.stamp_.nanosec_));
        last = now;
      }
    if (n > 0) dds_return_loan(r.get(), s, n);
  }
  const ssize_t w = write(fd, lat.data(), lat.size() * sizeof(int64_t));
  (void)w;
}

// Publishes `count` messages at 50 Hz once the receiver is matched.
void publish(const Ros2Config& dds, const Case& c, const std::string& topic, int count) {
  ros2::Entity pp = ros2::create_participant(dds);
  ros2::Entity t(ros2::check(dds_create_topic(pp.get(), &sensor_msgs_msg_dds__Image__desc,
                                              topic.c_str(), nullptr, nullptr),
                             "topic"));
  dds_qos_t* q = ros2::create_qos(c.qos, 0, 0, 100);
  ros2::Entity w(ros2::check(dds_create_writer(pp.get(), t.get(), q, nullptr), "writer"));
  dds_delete_qos(q);
  dds_publication_matched_status_t st{};
  const int64_t until = mono_ns() + 20'000'000'000;
  while (dds_get_publication_matched_status(w.get(), &st) == 0 && st.current_count == 0 &&
         mono_ns() < until)
    dds_sleepfor(DDS_MSECS(10));
  dds_sleepfor(DDS_MSECS(200));  // the reader's side of discovery completes too
  std::vector<uint8_t> pixels(size_t{c.width} * c.height * c.bytes_per_pixel, 7);
  sensor_msgs_msg_dds__Image_ m{};
  m.header_.frame_id_ = const_cast<char*>("bench");
  m.width_ = c.width;
  m.height_ = c.height;
  m.encoding_ = const_cast<char*>(c.encoding);
  m.step_ = c.width * c.bytes_per_pixel;
  m.data_ = {static_cast<uint32_t>(pixels.size()), static_cast<uint32_t>(pixels.size()),
             pixels.data(), false};
  for (int i = 0; i < count; ++i) {
    const int64_t now = mono_ns();
    m.header_.stamp_.sec_ = static_cast<int32_t>(now / 1000000000);
    m.header_.stamp_.nanosec_ = static_cast<uint32_t>(now % 1000000000);
    dds_write(w.get(), &m);
    dds_sleepfor(DDS_MSECS(20));  // 50 Hz: latency, not throughput
  }
  if (c.qos == Ros2Qos::reliable) dds_wait_for_acks(w.get(), DDS_SECS(2));
}

// Each side in a process of its own (this one never starts DDS, so forking stays safe).
void run_case(const Ros2Config& dds, const Case& c, int count) {
  const std::string topic = "rt/percept_bench/" + std::string(c.name);
  int fds[2];
  if (pipe(fds) != 0) std::exit(1);
  const pid_t receiver = fork();
  if (receiver == 0) {
    close(fds[0]);
    receive(dds, c, topic, count, fds[1]);
    close(fds[1]);
    _exit(0);
  }
  close(fds[1]);
  const pid_t publisher = fork();
  if (publisher == 0) {
    close(fds[0]);
    publish(dds, c, topic, count);
    _exit(0);
  }
  std::vector<int64_t> lat;
  int64_t buf[256];
  ssize_t n;
  while ((n = read(fds[0], buf, sizeof buf)) > 0)
    lat.insert(lat.end(), buf, buf + n / static_cast<ssize_t>(sizeof(int64_t)));
  close(fds[0]);
  waitpid(receiver, nullptr, 0);
  waitpid(publisher, nullptr, 0);
  std::sort(lat.begin(), lat.end());
  auto q = [&](double p) {
    return lat.empty() ? 0.0
                       : static_cast<double>(
                             lat[static_cast<size_t>(p * static_cast<double>(lat.size() - 1))]) *
                             1e-6;
  };
  // Reference in the same run: one copy of the same bytes (what any hand-over costs at least).
  std::vector<uint8_t> a(size_t{c.width} * c.height * c.bytes_per_pixel, 1), b(a.size());
  std::vector<int64_t> copy;
  for (int i = 0; i < 50; ++i) {
    const int64_t t0 = mono_ns();
    std::memcpy(b.data(), a.data(), a.size());
    copy.push_back(mono_ns() - t0 + (b[static_cast<size_t>(i)] & 0));
  }
  std::sort(copy.begin(), copy.end());
  std::printf(
      "%-16s %-12s %8zu B  received %3zu/%d  median %7.3f ms  p90 %7.3f ms  "
      "(memcpy %.3f ms, x%.0f)\n",
      c.name, ros2_qos_name(c.qos), size_t{c.width} * c.height * c.bytes_per_pixel, lat.size(),
      count, q(0.5), q(0.9), static_cast<double>(copy[25]) * 1e-6,
      q(0.5) / (static_cast<double>(copy[25]) * 1e-6));
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  const int count = argc > 1 ? std::atoi(argv[1]) : 200;
  Ros2Config dds;
  dds.localhost_only = true;
  dds.domain_id = 100 + static_cast<int>(getpid() % 100);
  const Case cases[] = {
      {"rgb8_640x480", 640, 480, 3, "rgb8", Ros2Qos::reliable},
      {"rgb8_640x480", 640, 480, 3, "rgb8", Ros2Qos::sensor_data},
      {"32FC1_1280x720", 1280, 720, 4, "32FC1", Ros2Qos::reliable},
      {"32FC1_1280x720", 1280, 720, 4, "32FC1", Ros2Qos::sensor_data},
  };
  for (const Case& c : cases) run_case(dds, c, count);
}
