// The message builders, moved out of ros2_sink.cpp so that the bag sink writes the very same
// messages the topics carry.
#include "messages.hpp"

#include <cmath>
#include <cstring>
#include <limits>

#include "percept/io/results_json.hpp"

namespace percept::ros2 {

namespace {

char* cstr(const std::string& s) {
  return const_cast<char*>(s.c_str());
}

// One hypothesis: the label (the string points into `label`), the score, an identity
// orientation; position and covariance 0 until the caller sets them.
vision_msgs_msg_dds__ObjectHypothesisWithPose_ hypothesis(const std::string& label, float score) {
  vision_msgs_msg_dds__ObjectHypothesisWithPose_ h{};
  h.hypothesis_.class_id_ = cstr(label);
  h.hypothesis_.score_ = score;
  h.pose_.pose_.orientation_.w_ = 1;
  return h;
}

// One Detection2D of a box: its header, the one hypothesis `h` and the id (both borrowed), the
// box as centre and size in the frame's pixels (theta 0). Detections and faces share it.
vision_msgs_msg_dds__Detection2D_ detection_2d(const std_msgs_msg_dds__Header_& hdr, const Box& box,
                                               vision_msgs_msg_dds__ObjectHypothesisWithPose_* h,
                                               const std::string& id) {
  vision_msgs_msg_dds__Detection2D_ o{};
  o.header_ = hdr;
  o.results_ = {1, 1, h, false};
  o.bbox_.center_.position_.x_ = 0.5 * (static_cast<double>(box.x1) + box.x2);
  o.bbox_.center_.position_.y_ = 0.5 * (static_cast<double>(box.y1) + box.y2);
  o.bbox_.size_x_ = box.width();
  o.bbox_.size_y_ = box.height();
  o.id_ = cstr(id);
  return o;
}

}  // namespace

std_msgs_msg_dds__Header_ header(int64_t wall_ns, const std::string& frame_id) {
  std_msgs_msg_dds__Header_ h{};
  const int64_t sec = wall_ns / 1000000000;
  h.stamp_.sec_ = static_cast<int32_t>(sec);
  h.stamp_.nanosec_ = static_cast<uint32_t>(wall_ns - sec * 1000000000);
  h.frame_id_ = cstr(frame_id);
  return h;
}

const sensor_msgs_msg_dds__Image_* MessageBuilder::image(int64_t wall_ns,
                                                         const std::string& frame_id, int width,
                                                         int height, const char* encoding,
                                                         uint32_t step, const uint8_t* data) {
  sensor_msgs_msg_dds__Image_& msg = image_;
  msg = {};
  msg.header_ = header(wall_ns, frame_id);
  msg.height_ = static_cast<uint32_t>(height);
  msg.width_ = static_cast<uint32_t>(width);
  msg.encoding_ = const_cast<char*>(encoding);
  msg.is_bigendian_ = 0;  // x86-64 and aarch64 are little-endian
  msg.step_ = step;
  msg.data_._length = msg.data_._maximum = step * static_cast<uint32_t>(height);
  msg.data_._buffer = const_cast<uint8_t*>(data);
  msg.data_._release = false;
  return &msg;
}

const vision_msgs_msg_dds__Classification_* MessageBuilder::classification(
    const Frame& f, size_t model, const std::string& frame_id,
    const std::vector<std::string>& labels) {
  const ClassScores& classes = f.results[model].output.classes;
  cls_labels_.resize(classes.size());
  cls_hyps_.resize(classes.size());
  for (size_t i = 0; i < classes.size(); ++i) {
    cls_labels_[i] = label_of(labels, classes[i].class_id);
    cls_hyps_[i].class_id_ = cstr(cls_labels_[i]);
    cls_hyps_[i].score_ = classes[i].score;
  }
  cls_ = {};
  cls_.header_ = header(f.capture_wall_ns, frame_id);
  cls_.results_._length = cls_.results_._maximum = static_cast<uint32_t>(classes.size());
  cls_.results_._buffer = cls_hyps_.data();
  cls_.results_._release = false;
  return &cls_;
}

const vision_msgs_msg_dds__Detection2DArray_* MessageBuilder::faces(const Frame& f, size_t model,
                                                                    const std::string& frame_id) {
  static const std::string kFace = "face";
  static const std::string kNoId;
  const Faces& faces = f.results[model].output.faces;
  hyps_.resize(faces.size());
  d2d_.resize(faces.size());
  for (size_t i = 0; i < faces.size(); ++i) {
    const Face& face = faces[i];
    hyps_[i] = hypothesis(kFace, face.score);
    hyps_[i].pose_.pose_.position_.z_ = std::numeric_limits<double>::quiet_NaN();  // no distance
    d2d_[i] = detection_2d(header(f.capture_wall_ns, frame_id), face.box, &hyps_[i], kNoId);
  }
  d2_ = {};
  d2_.header_ = header(f.capture_wall_ns, frame_id);
  d2_.detections_ = {static_cast<uint32_t>(faces.size()), static_cast<uint32_t>(faces.size()),
                     d2d_.data(), false};
  return &d2_;
}

const sensor_msgs_msg_dds__Image_* MessageBuilder::masks(const Frame& f, size_t model,
                                                         const std::string& frame_id) {
  const int width = f.image.width(), height = f.image.height();
  mask_map_.resize(static_cast<size_t>(width) * height);
  paint_instance_map(f.results[model].output.masks, width, height, mask_map_.data());
  return image(f.capture_wall_ns, frame_id, width, height, "mono16",
               static_cast<uint32_t>(width) * 2,
               reinterpret_cast<const uint8_t*>(mask_map_.data()));
}

const vision_msgs_msg_dds__Detection2DArray_* MessageBuilder::detections(
    const Frame& f, size_t model, const std::string& frame_id,
    const std::vector<std::string>& labels) {
  const Detections& dets = f.results[model].output.detections;
  labels_.resize(dets.size());
  ids_.resize(dets.size());
  hyps_.resize(dets.size());
  d2d_.resize(dets.size());
  for (size_t i = 0; i < dets.size(); ++i) {
    const Detection& d = dets[i];
    labels_[i] = label_of(labels, d.class_id);
    vision_msgs_msg_dds__ObjectHypothesisWithPose_& h = hyps_[i];
    h = hypothesis(labels_[i], d.score);
    // The fused distance along the optical axis (metres, or the depth model's relative
    // unit); NaN when no depth model serves the camera. x, y stay 0: the 3D position is
    // on detections_3d.
    h.pose_.pose_.position_.z_ = d.distance == Detection::kNoDistance
                                     ? std::numeric_limits<double>::quiet_NaN()
                                     : static_cast<double>(d.distance);
    d2d_[i] = detection_2d(header(f.capture_wall_ns, frame_id), d.box, &h, track_id_text(i, d));
  }
  vision_msgs_msg_dds__Detection2DArray_& msg = d2_;
  msg = {};
  msg.header_ = header(f.capture_wall_ns, frame_id);
  msg.detections_._length = msg.detections_._maximum = static_cast<uint32_t>(dets.size());
  msg.detections_._buffer = d2d_.data();
  msg.detections_._release = false;
  return &msg;
}

// The track id as vision_msgs intends `id` (the same object across messages), in decimal; ""
// for an untracked detection. ids_ is sized before a message takes pointers into it (short
// strings live inside the vector's elements).
const std::string& MessageBuilder::track_id_text(size_t i, const Detection& d) {
  ids_[i].clear();
  if (d.track_id > 0) ids_[i] = std::to_string(d.track_id);
  return ids_[i];
}

// The centre in bbox.center.position, the box's width and height in size.x / size.y; size.z is
// 0 (one camera sees the object's front, not its depth).
const vision_msgs_msg_dds__Detection3DArray_* MessageBuilder::detections_3d(
    const Frame& f, size_t model, const std::string& frame_id,
    const std::vector<std::string>& labels) {
  const Detections& dets = f.results[model].output.detections;
  labels3_.resize(dets.size());
  ids_.resize(dets.size());
  hyps3_.resize(dets.size());
  d3d_.resize(dets.size());
  size_t n = 0;
  for (size_t i = 0; i < dets.size(); ++i) {
    const Detection& d = dets[i];
    if (!d.has_position) continue;
    labels3_[n] = label_of(labels, d.class_id);
    vision_msgs_msg_dds__ObjectHypothesisWithPose_& h = hyps3_[n];
    h = hypothesis(labels3_[n], d.score);
    h.pose_.pose_.position_.x_ = d.position_m[0];
    h.pose_.pose_.position_.y_ = d.position_m[1];
    h.pose_.pose_.position_.z_ = d.position_m[2];
    vision_msgs_msg_dds__Detection3D_& o = d3d_[n];
    o = {};
    o.header_ = header(f.capture_wall_ns, frame_id);
    o.results_._length = o.results_._maximum = 1;
    o.results_._buffer = &h;
    o.results_._release = false;
    o.bbox_.center_ = h.pose_.pose_;
    o.bbox_.size_.x_ = d.size_m[0];
    o.bbox_.size_.y_ = d.size_m[1];
    o.id_ = cstr(track_id_text(i, d));
    ++n;
  }
  vision_msgs_msg_dds__Detection3DArray_& msg = d3_;
  msg = {};
  msg.header_ = header(f.capture_wall_ns, frame_id);
  msg.detections_._length = msg.detections_._maximum = static_cast<uint32_t>(n);
  msg.detections_._buffer = d3d_.data();
  msg.detections_._release = false;
  return &msg;
}

const sensor_msgs_msg_dds__Image_* MessageBuilder::annotated(
    const Frame& f, const std::string& frame_id, const std::vector<size_t>& models,
    const std::vector<std::vector<std::string>>& labels) {
  const ImageView src = f.image.view();
  canvas_.resize(src.width, src.height, src.format);
  for (int y = 0; y < src.height; ++y)
    std::memcpy(canvas_.row(y), src.row(y), static_cast<size_t>(src.width) * src.channels());
  for (size_t m : models) {
    const ModelResult& r = f.results[m];
    if (r.state != ModelResult::State::done) continue;
    if (has(r.output.contents, Content::segmentation))
      overlay_segmentation(canvas_, r.output.segmentation);
  }
  for (size_t m : models) {
    const ModelResult& r = f.results[m];
    if (r.state != ModelResult::State::done) continue;
    if (has(r.output.contents, Content::detections)) {
      trails_.update_and_draw(canvas_, f.camera, m, f.index, r.output.detections);
      draw_detections(canvas_, r.output.detections,
                      [&](int id) { return label_of(labels[m], id); });
    }
    if (has(r.output.contents, Content::faces)) draw_faces(canvas_, r.output.faces);
  }
  // rgb8, tightly packed (step = 3 * width): what rviz2 and cv_bridge expect most often.
  const int width = canvas_.width(), height = canvas_.height();
  rgb_.resize(static_cast<size_t>(width) * height * 3);
  for (int y = 0; y < height; ++y) {
    const uint8_t* s = canvas_.row(y);
    uint8_t* d = rgb_.data() + static_cast<size_t>(y) * width * 3;
    for (int x = 0; x < width; ++x) {
      if (canvas_.format() == PixelFormat::gray8) {
        d[3 * x] = d[3 * x + 1] = d[3 * x + 2] = s[x];
      } else if (canvas_.format() == PixelFormat::bgr8) {
        d[3 * x] = s[3 * x + 2];
        d[3 * x + 1] = s[3 * x + 1];
        d[3 * x + 2] = s[3 * x];
      } else {
        std::memcpy(d + 3 * x, s + 3 * x, 3);
      }
    }
  }
  return image(f.capture_wall_ns, frame_id, width, height, "rgb8", static_cast<uint32_t>(width) * 3,
               rgb_.data());
}

const sensor_msgs_msg_dds__Image_* MessageBuilder::camera_image(const Frame& f,
                                                                const std::string& frame_id) {
  const ImageView v = f.image.view();
  const char* encoding = v.format == PixelFormat::gray8  ? "mono8"
                         : v.format == PixelFormat::rgb8 ? "rgb8"
                                                         : "bgr8";
  const size_t row = static_cast<size_t>(v.width) * v.channels();
  const uint8_t* data = v.data;
  if (v.stride != row) {  // sensor_msgs/Image may pad rows, but readers handle packed best
    packed_.resize(row * v.height);
    for (int y = 0; y < v.height; ++y) std::memcpy(packed_.data() + y * row, v.row(y), row);
    data = packed_.data();
  }
  return image(f.capture_wall_ns, frame_id, v.width, v.height, encoding, static_cast<uint32_t>(row),
               data);
}

}  // namespace percept::ros2
