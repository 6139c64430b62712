// `source: ros2` cameras: sensor_msgs/Image messages from a topic as pipeline frames.
#include <spdlog/spdlog.h>

#include <cstring>

#include "dds_context.hpp"
#include "image_message.hpp"
#include "node_graph.hpp"
#include "percept/core/clock.hpp"
#include "percept/ros2/ros2.hpp"
#include "ros2_msgs.h"

namespace percept {

namespace {

using ros2::check;
using ros2::Entity;
using ros2::image_from_message;

class Ros2Source final : public Source {
 public:
  Ros2Source(const std::string& camera, const Ros2SourceConfig& src, const Ros2Config& dds,
             const std::atomic<bool>* stop)
      : topic_(src.topic), timeout_s_(src.timeout_s), stop_(stop) {
    node_ = ros2::Node::get(dds);
    const std::string name = ros2_topic_name(src.topic);
    dds_qos_t* qos = ros2::create_qos(src.qos, src.depth, 0, 0);
    try {
      reader_ = ros2::Endpoint::reader(node_, &sensor_msgs_msg_dds__Image__desc, name, qos);
    } catch (const Error& e) {
      dds_delete_qos(qos);
      throw Error("camera '" + camera + "': " + e.what());
    }
    dds_delete_qos(qos);
    check(dds_set_status_mask(reader_.get(), DDS_DATA_AVAILABLE_STATUS), "dds_set_status_mask");
    waitset_ = Entity(check(dds_create_waitset(node_->participant()), "dds_create_waitset"));
    check(dds_waitset_attach(waitset_.get(), reader_.get(), 0), "dds_waitset_attach");
    spdlog::info("camera '{}': subscribed to {} (sensor_msgs/Image, {})", camera, src.topic,
                 ros2_qos_name(src.qos));
  }

  ~Ros2Source() override {
    waitset_ = Entity();
    reader_.reset();
    node_.reset();
  }

  Result<bool> read(Image& frame) override {
    const int64_t start = now_ns();
    while (true) {
      if (stop_ && stop_->load()) return false;
      void* samples[1] = {nullptr};
      dds_sample_info_t info[1];
      const dds_return_t n = dds_take(reader_.get(), samples, info, 1, 1);
      if (n < 0) return Error(topic_ + ": " + dds_strretcode(n));
      if (n > 0) {
        Status st;
        if (info[0].valid_data) {
          const auto* msg = static_cast<const sensor_msgs_msg_dds__Image_*>(samples[0]);
          st = image_from_message(*msg, topic_, frame);
          if (st)
            stamp_ns_ = static_cast<int64_t>(msg->header_.stamp_.sec_) * 1000000000 +
                        msg->header_.stamp_.nanosec_;
        }
        dds_return_loan(reader_.get(), samples, n);
        if (!st) return st.error();
        if (info[0].valid_data) return true;
        continue;  // a dispose or unregister: no pixels
      }
      if (timeout_s_ > 0 && static_cast<double>(now_ns() - start) * 1e-9 >= timeout_s_)
        return false;  // the publisher went quiet: end of stream
      dds_waitset_wait(waitset_.get(), nullptr, 0, DDS_MSECS(50));
    }
  }

  double fps() const override { return 0; }
  int64_t frame_count() const override { return -1; }
  int64_t capture_wall_ns() const override { return stamp_ns_; }

 private:
  std::string topic_;
  double timeout_s_;
  const std::atomic<bool>* stop_;
  std::shared_ptr<ros2::Node> node_;
  ros2::Endpoint reader_;
  Entity waitset_;
  int64_t stamp_ns_ = 0;
};

}  // namespace

std::unique_ptr<Source> open_ros2_source(const std::string& camera, const Ros2SourceConfig& source,
                                         const Ros2Config& dds, const std::atomic<bool>* stop) {
  return std::make_unique<Ros2Source>(camera, source, dds, stop);
}

}  // namespace percept
