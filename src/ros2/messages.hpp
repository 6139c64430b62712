// A frame's results as ROS 2 messages (the idlc-generated C structs of idl/ros2_msgs.idl; fields
// in docs/ROS2.md), shared by the ros2 sink (DDS topics) and the bag sink (MCAP). Messages borrow
// the frame's buffers and this builder's scratch (sequences with _release = false): a returned
// message stays valid until the next call on the same builder and while the frame lives.
// One thread per builder. Private to src/ros2.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "percept/core/image.hpp"
#include "percept/io/annotate.hpp"
#include "percept/io/frame.hpp"
#include "ros2_msgs.h"

namespace percept::ros2 {

// A header stamped `wall_ns` (ns since the epoch) with `frame_id` (borrowed).
std_msgs_msg_dds__Header_ header(int64_t wall_ns, const std::string& frame_id);

class MessageBuilder {
 public:
  // `data`: step * height bytes (borrowed); `encoding` a static string ("32FC1", "mono8" ...).
  const sensor_msgs_msg_dds__Image_* image(int64_t wall_ns, const std::string& frame_id, int width,
                                           int height, const char* encoding, uint32_t step,
                                           const uint8_t* data);
  // The frame's instance map, mono16: pixel = index in the Detection2DArray + 1, 0 background.
  const sensor_msgs_msg_dds__Image_* masks(const Frame& f, size_t model,
                                           const std::string& frame_id);
  // Every detection of `model` with its label from `labels`; distance in the hypothesis pose's z.
  const vision_msgs_msg_dds__Detection2DArray_* detections(const Frame& f, size_t model,
                                                           const std::string& frame_id,
                                                           const std::vector<std::string>& labels);
  // Detections with a 3D position (camera optical frame, metres); the others are left out.
  const vision_msgs_msg_dds__Detection3DArray_* detections_3d(
      const Frame& f, size_t model, const std::string& frame_id,
      const std::vector<std::string>& labels);
  // The frame's best classes (a classifier), best first, labels from `labels`.
  const vision_msgs_msg_dds__Classification_* classification(
      const Frame& f, size_t model, const std::string& frame_id,
      const std::vector<std::string>& labels);
  // The frame's faces as boxes (class_id "face", the detector's score); their six keypoints
  // have no standard ROS 2 message and are not in it.
  const vision_msgs_msg_dds__Detection2DArray_* faces(const Frame& f, size_t model,
                                                      const std::string& frame_id);
  // The camera's frame with every model's results drawn, rgb8. Keeps track trails across calls
  // (frames of a camera in capture order).
  const sensor_msgs_msg_dds__Image_* annotated(const Frame& f, const std::string& frame_id,
                                               const std::vector<size_t>& models,
                                               const std::vector<std::vector<std::string>>& labels);
  // The camera's own pixels as captured (bgr8, rgb8 or mono8), no drawing.
  const sensor_msgs_msg_dds__Image_* camera_image(const Frame& f, const std::string& frame_id);

 private:
  const std::string& track_id_text(size_t i, const Detection& d);

  sensor_msgs_msg_dds__Image_ image_{};
  vision_msgs_msg_dds__Detection2DArray_ d2_{};
  vision_msgs_msg_dds__Detection3DArray_ d3_{};
  std::vector<uint16_t> mask_map_;
  std::vector<std::string> labels_;
  std::vector<vision_msgs_msg_dds__ObjectHypothesisWithPose_> hyps_;
  std::vector<vision_msgs_msg_dds__Detection2D_> d2d_;
  std::vector<std::string> ids_;  // track ids in decimal, per detection
  std::vector<std::string> labels3_;
  std::vector<vision_msgs_msg_dds__ObjectHypothesisWithPose_> hyps3_;
  std::vector<vision_msgs_msg_dds__Detection3D_> d3d_;
  vision_msgs_msg_dds__Classification_ cls_{};
  std::vector<vision_msgs_msg_dds__ObjectHypothesis_> cls_hyps_;
  std::vector<std::string> cls_labels_;
  std::vector<uint8_t> packed_;  // camera_image rows without stride padding
  Image canvas_;
  Trails trails_;
  std::vector<uint8_t> rgb_;
};

}  // namespace percept::ros2
