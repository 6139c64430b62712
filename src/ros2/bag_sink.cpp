// The bag sink: the ros2 sink's messages (messages.hpp), serialised by cdr.hpp, into an MCAP file
// (mcap_writer.hpp) with the schemas and channel metadata rosbag2's MCAP storage writes on Jazzy.
#include <spdlog/spdlog.h>

#include <filesystem>

#include <array>

#include "camera_info_message.hpp"
#include "cdr.hpp"
#include "db3_writer.hpp"
#include "mcap_writer.hpp"
#include "messages.hpp"
#include "msg_definitions.hpp"
#include "percept/ros2/bag.hpp"

namespace percept {

namespace {

namespace fs = std::filesystem;

// rosbag2's YAML for the QoS a topic was offered with (what `ros2 bag play` republishes with):
// percept's default writer QoS, reliable, keep last 10, volatile, no deadline or lifespan.
constexpr const char* kOfferedQos =
    "- history: keep_last\n"
    "  depth: 10\n"
    "  reliability: reliable\n"
    "  durability: volatile\n"
    "  deadline:\n"
    "    sec: 9223372036\n"
    "    nsec: 854775807\n"
    "  lifespan:\n"
    "    sec: 9223372036\n"
    "    nsec: 854775807\n"
    "  liveliness: automatic\n"
    "  liveliness_lease_duration:\n"
    "    sec: 9223372036\n"
    "    nsec: 854775807\n"
    "  avoid_ros_namespace_conventions: false";

mcap::Compression compression_of(BagCompression c) {
  switch (c) {
    case BagCompression::zstd:
      return mcap::Compression::zstd;
    case BagCompression::lz4:
      return mcap::Compression::lz4;
    case BagCompression::none:
      break;
  }
  return mcap::Compression::none;
}

class BagSink final : public Sink {
 public:
  BagSink(const BagOptions& options, const std::string& ns, const PipelineInfo& info,
          std::vector<std::string> frame_ids)
      : options_(options), info_(info), frame_ids_(std::move(frame_ids)) {
    const fs::path parent = fs::path(options_.path).parent_path();
    std::error_code ec;
    if (!parent.empty()) fs::create_directories(parent, ec);  // open() reports what failed
    mcap::WriterOptions wo;
    wo.compression = compression_of(options_.compression);
    wo.chunk_bytes = options_.chunk_bytes;
    wo.chunk_ns = static_cast<int64_t>(options_.chunk_s * 1e9);
    if (options_.format == BagFormat::sqlite3) {
      db3::WriterOptions dbo;
      dbo.commit_bytes = wo.chunk_bytes;
      dbo.commit_ns = wo.chunk_ns;
      db3_ = std::make_unique<db3::Writer>();
      if (Status st = db3_->open(options_.path, dbo); !st.ok()) throw st.error();
    } else {
      mcap_ = std::make_unique<mcap::Writer>();
      if (Status st = mcap_->open(options_.path, wo); !st.ok()) throw st.error();
    }
    const std::string prefix = ns.empty() ? "" : "/" + ns;
    const size_t cams = info_.camera_ids.size();
    channels_.assign(cams, std::vector<Channels>(info_.model_ids.size()));
    image_channel_.assign(cams, 0);
    camera_info_channel_.assign(cams, 0);
    for (size_t c = 0; c < cams; ++c) {
      const std::string base = prefix + "/" + info_.camera_ids[c];
      if (options_.images)
        image_channel_[c] = add(base + "/image_raw", &sensor_msgs_msg_dds__Image__desc);
      if (c < info_.camera_intrinsics.size() && info_.camera_intrinsics[c])
        camera_info_channel_[c] =
            add(base + "/camera_info", &sensor_msgs_msg_dds__CameraInfo__desc);
      // The ros2 sink's topics (ros2.hpp), one channel each.
      for (size_t m : info_.camera_models[c]) {
        const std::string mbase = base + "/" + info_.model_ids[m];
        const Content produces = info_.model_produces[m];
        Channels& ch = channels_[c][m];
        if (has(produces, Content::detections))
          ch.detections = add(mbase + "/detections", &vision_msgs_msg_dds__Detection2DArray__desc);
        if (has(produces, Content::detections) && c < info_.camera_3d.size() && info_.camera_3d[c])
          ch.detections_3d =
              add(mbase + "/detections_3d", &vision_msgs_msg_dds__Detection3DArray__desc);
        if (has(produces, Content::depth))
          ch.depth = add(mbase + "/depth", &sensor_msgs_msg_dds__Image__desc);
        if (has(produces, Content::segmentation))
          ch.segmentation = add(mbase + "/segmentation", &sensor_msgs_msg_dds__Image__desc);
        if (has(produces, Content::masks))
          ch.masks = add(mbase + "/masks", &sensor_msgs_msg_dds__Image__desc);
        if (has(produces, Content::classes))
          ch.classification =
              add(mbase + "/classification", &vision_msgs_msg_dds__Classification__desc);
        if (has(produces, Content::faces))
          ch.faces = add(mbase + "/faces", &vision_msgs_msg_dds__Detection2DArray__desc);
      }
    }
    spdlog::info(
        "bag: recording {} topics to {} (mcap, compression {})", types_.size() - 1, options_.path,
        options_.compression == BagCompression::none ? "none"
                                                     : mcap::compression_name(wo.compression));
  }

  std::string name() const override { return "bag"; }

  Status write(const Frame& f) override {
    const size_t c = static_cast<size_t>(f.camera);
    const std::string& frame_id = frame_ids_[c];
    status_ = {};
    if (image_channel_[c]) record(image_channel_[c], f, msgs_.camera_image(f, frame_id));
    if (camera_info_channel_[c]) {  // as the ros2 sink publishes it, once per frame
      sensor_msgs_msg_dds__CameraInfo_ m = ros2::camera_info_message(
          *info_.camera_intrinsics[c], f.image.width(), f.image.height(), zero_d_);
      m.header_ = ros2::header(f.capture_wall_ns, frame_id);
      record(camera_info_channel_[c], f, &m);
    }
    for (size_t m : info_.camera_models[c]) {
      const Channels& ch = channels_[c][m];
      const ModelResult& r = f.results[m];
      if (r.state != ModelResult::State::done) continue;
      const Content got = r.output.contents;
      const std::vector<std::string>& labels = info_.model_labels[m];
      if (ch.detections && has(got, Content::detections))
        record(ch.detections, f, msgs_.detections(f, m, frame_id, labels));
      if (ch.detections_3d && has(got, Content::detections))
        record(ch.detections_3d, f, msgs_.detections_3d(f, m, frame_id, labels));
      if (ch.depth && has(got, Content::depth)) {
        const DepthMap& d = r.output.depth;
        record(ch.depth, f,
               msgs_.image(f.capture_wall_ns, frame_id, d.width, d.height, "32FC1",
                           static_cast<uint32_t>(d.width) * 4,
                           reinterpret_cast<const uint8_t*>(d.values.data())));
      }
      if (ch.segmentation && has(got, Content::segmentation)) {
        const SegmentationMap& s = r.output.segmentation;
        record(ch.segmentation, f,
               msgs_.image(f.capture_wall_ns, frame_id, s.width, s.height, "mono8",
                           static_cast<uint32_t>(s.width), s.classes.data()));
      }
      if (ch.masks && has(got, Content::masks)) record(ch.masks, f, msgs_.masks(f, m, frame_id));
      if (ch.classification && has(got, Content::classes))
        record(ch.classification, f, msgs_.classification(f, m, frame_id, labels));
      if (ch.faces && has(got, Content::faces)) record(ch.faces, f, msgs_.faces(f, m, frame_id));
    }
    return status_;
  }

  void close() override {
    const Status st = db3_ ? db3_->close() : mcap_->close();
    if (!st.ok()) spdlog::warn("{}", st.error().message());
    const uint64_t written = db3_ ? db3_->messages_written() : mcap_->messages_written();
    const uint64_t lost = db3_ ? db3_->messages_lost() : mcap_->messages_lost();
    spdlog::info("bag: {} messages in {}{}", written, options_.path,
                 lost ? " (" + std::to_string(lost) + " lost: disk errors)" : "");
  }

  std::vector<std::string> outputs() const override { return {options_.path}; }

 private:
  struct Channels {  // MCAP channel ids per kind of result, 0 for none
    uint16_t detections = 0, detections_3d = 0, depth = 0, segmentation = 0, masks = 0;
    uint16_t classification = 0, faces = 0;
  };

  // A channel (MCAP) or topic row (sqlite3) for `topic`, its definition stored once per type.
  uint16_t add(const std::string& topic, const dds_topic_descriptor_t* desc) {
    const std::string type = ros2::ros_type_name(desc->m_typename);
    const std::string definition = ros2::ros2msg_schema(type, Ros2Distro::jazzy);
    const std::string hash = ros2::type_hash(type);
    uint16_t id = 0;
    if (db3_) {
      auto topic_id = db3_->add_topic(topic, type, kOfferedQos, hash, definition);
      if (!topic_id.ok()) throw topic_id.error();
      id = static_cast<uint16_t>(*topic_id);
    } else {
      uint16_t& schema = schema_ids_[type];
      if (!schema) schema = mcap_->add_schema(type, "ros2msg", definition);
      id = mcap_->add_channel(schema, topic, "cdr",
                              {{"offered_qos_profiles", kOfferedQos}, {"topic_type_hash", hash}});
    }
    if (types_.size() <= id) types_.resize(id + 1, nullptr);
    types_[id] = desc;
    return id;
  }

  // Serialises one message and adds it to the bag; the frame's first error is kept in status_.
  void record(uint16_t channel, const Frame& f, const void* msg) {
    auto cdr = cdr_.serialize(msg, types_[channel]);
    if (!cdr.ok()) {
      if (status_.ok()) status_ = cdr.error();
      return;
    }
    const auto t = static_cast<uint64_t>(f.capture_wall_ns);  // header.stamp
    const std::vector<uint8_t>& bytes = **cdr;
    Status st = db3_ ? db3_->write(channel, static_cast<int64_t>(t), bytes.data(), bytes.size())
                     : mcap_->write(channel, t, t, nullptr, 0, bytes.data(), bytes.size());
    if (!st.ok() && status_.ok()) status_ = std::move(st);
  }

  BagOptions options_;
  const PipelineInfo& info_;
  std::vector<std::string> frame_ids_;
  std::unique_ptr<mcap::Writer> mcap_;  // one of the two
  std::unique_ptr<db3::Writer> db3_;
  ros2::MessageBuilder msgs_;
  ros2::CdrSerializer cdr_;
  std::map<std::string, uint16_t> schema_ids_;
  std::vector<const dds_topic_descriptor_t*> types_{nullptr};  // by channel id
  std::vector<std::vector<Channels>> channels_;                // [camera][model]
  std::vector<uint16_t> image_channel_;                        // [camera], 0 for none
  std::vector<uint16_t> camera_info_channel_;                  // [camera], 0 for none
  std::array<double, 5> zero_d_{};                             // CameraInfo.d: no distortion
  Status status_;
};

}  // namespace

std::unique_ptr<Sink> make_bag_sink(const BagOptions& options, const std::string& ros_namespace,
                                    const PipelineInfo& info, std::vector<std::string> frame_ids) {
  frame_ids.resize(info.camera_ids.size());
  for (size_t c = 0; c < frame_ids.size(); ++c)
    if (frame_ids[c].empty()) frame_ids[c] = info.camera_ids[c];
  return std::make_unique<BagSink>(options, ros_namespace, info, std::move(frame_ids));
}

}  // namespace percept
