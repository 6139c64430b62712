// The ros2 sink: a frame's results as ROS 2 messages (topics in ros2.hpp, fields in
// docs/ROS2.md). Messages borrow the frame's buffers (sequences with _release = false), so a
// publish costs one serialisation and no extra copy of the pixels.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstring>
#include <limits>
#include <mutex>
#include <thread>

#include "camera_info_message.hpp"
#include "dds_context.hpp"
#include "messages.hpp"
#include "node_graph.hpp"
#include "percept/core/clock.hpp"
#include "percept/io/annotate.hpp"
#include "percept/ros2/ros2.hpp"
#include "ros2_msgs.h"

namespace percept {

namespace {

using ros2::check;
using ros2::Entity;
using ros2::header;

char* cstr(const std::string& s) {
  return const_cast<char*>(s.c_str());
}

struct Writer {
  ros2::Endpoint writer;  // its topic, listed under percept's node
  std::string name;       // ROS 2 name, for messages
  uint64_t written = 0, failed = 0;
};

// Per-camera health over the current diagnostics interval.
struct CameraHealth {
  int64_t last_index = -1;
  uint64_t frames = 0, drops = 0, deadline_misses = 0;  // totals
  uint64_t interval_frames = 0, interval_drops = 0, interval_misses = 0;
  std::vector<int64_t> latencies_ns;  // this interval
  int64_t last_annotated_ns = 0;
};

class Ros2Sink final : public Sink {
 public:
  Ros2Sink(const Ros2Config& cfg, const PipelineInfo& info, std::vector<std::string> frame_ids)
      : cfg_(cfg), info_(info), frame_ids_(std::move(frame_ids)) {
    node_ = ros2::Node::get(cfg_);
    dds_qos_t* qos = ros2::create_qos(cfg_.qos, cfg_.depth, cfg_.deadline_ms, cfg_.max_blocking_ms,
                                      cfg_.lifespan_ms);
    const std::string prefix = cfg_.ns.empty() ? "" : "/" + cfg_.ns;
    const size_t cams = info_.camera_ids.size();
    model_writers_.assign(cams, std::vector<ModelWriters>(info_.model_ids.size()));
    annotated_.assign(cams, -1);
    camera_info_.assign(cams, -1);
    health_.resize(cams);
    for (size_t c = 0; c < cams; ++c) {
      const std::string base = prefix + "/" + info_.camera_ids[c];
      for (size_t m : info_.camera_models[c]) {
        const std::string mbase = base + "/" + info_.model_ids[m];
        // One topic per kind of result the model produces. Class scores and faces have no
        // standard ROS 2 message chosen yet (docs/ROS2.md).
        const Content produces = info_.model_produces[m];
        ModelWriters& mw = model_writers_[c][m];
        if (has(produces, Content::detections))
          mw.detections =
              add(mbase + "/detections", &vision_msgs_msg_dds__Detection2DArray__desc, qos);
        if (has(produces, Content::detections) && c < info_.camera_3d.size() && info_.camera_3d[c])
          mw.detections_3d =
              add(mbase + "/detections_3d", &vision_msgs_msg_dds__Detection3DArray__desc, qos);
        if (has(produces, Content::depth))
          mw.depth = add(mbase + "/depth", &sensor_msgs_msg_dds__Image__desc, qos);
        if (has(produces, Content::segmentation))
          mw.segmentation = add(mbase + "/segmentation", &sensor_msgs_msg_dds__Image__desc, qos);
        // Instance masks: a mono16 instance map beside the Detection2DArray (docs/ROS2.md).
        if (has(produces, Content::masks))
          mw.masks = add(mbase + "/masks", &sensor_msgs_msg_dds__Image__desc, qos);
      }
      if (cfg_.annotated_hz > 0)
        annotated_[c] = add(base + "/annotated", &sensor_msgs_msg_dds__Image__desc, qos);
      // The pinhole model of the pixels every result of this camera is in, once per frame.
      if (c < info_.camera_intrinsics.size() && info_.camera_intrinsics[c])
        camera_info_[c] = add(base + "/camera_info", &sensor_msgs_msg_dds__CameraInfo__desc, qos);
    }
    if (cfg_.diagnostics_hz > 0)
      diagnostics_ = add("/diagnostics", &diagnostic_msgs_msg_dds__DiagnosticArray__desc, qos);
    dds_delete_qos(qos);
    last_diag_ns_ = now_ns();
    wait_for_subscribers();
    // Health goes out on its own clock, so a camera that stops delivering still shows up
    // (as WARN "no frames") instead of falling silent.
    if (diagnostics_ >= 0) diag_thread_ = std::thread([this] { diagnostics_loop(); });
  }

  ~Ros2Sink() override { stop_diagnostics(); }

  std::string name() const override { return "ros2"; }

  Status write(const Frame& f) override {
    const size_t c = static_cast<size_t>(f.camera);
    const std::string& frame_id = frame_ids_[c];
    bool ok = true;
    for (size_t m : info_.camera_models[c]) {
      const ModelWriters& mw = model_writers_[c][m];
      const ModelResult& r = f.results[m];
      if (r.state != ModelResult::State::done) continue;
      const Content got = r.output.contents;
      if (mw.detections >= 0 && has(got, Content::detections))
        ok &= write_sample(writers_[mw.detections],
                           msgs_.detections(f, m, frame_id, info_.model_labels[m]));
      if (mw.detections_3d >= 0 && has(got, Content::detections))
        ok &= write_sample(writers_[mw.detections_3d],
                           msgs_.detections_3d(f, m, frame_id, info_.model_labels[m]));
      if (mw.depth >= 0 && has(got, Content::depth)) {
        const DepthMap& d = r.output.depth;
        ok &= write_sample(writers_[mw.depth],
                           msgs_.image(f.capture_wall_ns, frame_id, d.width, d.height, "32FC1",
                                       static_cast<uint32_t>(d.width) * 4,
                                       reinterpret_cast<const uint8_t*>(d.values.data())));
      }
      if (mw.segmentation >= 0 && has(got, Content::segmentation)) {
        const SegmentationMap& s = r.output.segmentation;
        ok &= write_sample(writers_[mw.segmentation],
                           msgs_.image(f.capture_wall_ns, frame_id, s.width, s.height, "mono8",
                                       static_cast<uint32_t>(s.width), s.classes.data()));
      }
      if (mw.masks >= 0 && has(got, Content::masks))
        ok &= write_sample(writers_[mw.masks], msgs_.masks(f, m, frame_id));
    }
    if (camera_info_[c] >= 0) {
      sensor_msgs_msg_dds__CameraInfo_ m = ros2::camera_info_message(
          *info_.camera_intrinsics[c], f.image.width(), f.image.height(), zero_d_);
      m.header_ = header(f.capture_wall_ns, frame_id);
      ok &= write_sample(writers_[camera_info_[c]], &m);
    }
    CameraHealth& h = health_[c];
    if (annotated_[c] >= 0 &&
        f.publish_ns - h.last_annotated_ns >= static_cast<int64_t>(1e9 / cfg_.annotated_hz)) {
      h.last_annotated_ns = f.publish_ns;
      ok &= write_sample(writers_[annotated_[c]],
                         msgs_.annotated(f, frame_id, info_.camera_models[c], info_.model_labels));
    }
    {
      std::lock_guard lock(health_mu_);
      record(h, f);
    }
    if (!ok) return Error("ros2: a DDS write failed (" + last_error_ + ")");
    return {};
  }

  void close() override {
    stop_diagnostics();
    if (diagnostics_ >= 0) publish_diagnostics(true);  // the run's totals
    // Reliable writers: give subscribers a moment to acknowledge what is in flight.
    if (cfg_.qos == Ros2Qos::reliable)
      for (const Writer& w : writers_) dds_wait_for_acks(w.writer.get(), DDS_MSECS(500));
    size_t failed = 0;
    for (const Writer& w : writers_) failed += w.failed;
    if (failed) spdlog::warn("ros2: {} DDS writes failed or timed out", failed);
    writers_.clear();
    node_.reset();
  }

  std::vector<std::string> outputs() const override { return {}; }
  // Other nodes act on these messages: publishing keeps the pipeline's own priority.
  bool background() const override { return false; }

 private:
  int add(const std::string& ros_name, const dds_topic_descriptor_t* desc, const dds_qos_t* qos) {
    Writer w;
    w.name = ros_name;
    const std::string topic = ros2_topic_name(ros_name);
    w.writer = ros2::Endpoint::writer(node_, desc, topic, qos);
    writers_.push_back(std::move(w));
    spdlog::info("ros2: publishing {} ({}, {})", ros_name, desc->m_typename,
                 ros2_qos_name(cfg_.qos));
    return static_cast<int>(writers_.size() - 1);
  }

  void wait_for_subscribers() {
    if (cfg_.wait_for_subscribers_s <= 0) return;
    const int64_t until = now_ns() + static_cast<int64_t>(cfg_.wait_for_subscribers_s * 1e9);
    for (const Writer& w : writers_) {
      dds_publication_matched_status_t st{};
      while (dds_get_publication_matched_status(w.writer.get(), &st) == DDS_RETCODE_OK &&
             st.current_count == 0 && now_ns() < until)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      if (st.current_count == 0) {
        spdlog::warn("ros2: no subscriber on {} after {} s, starting anyway", w.name,
                     cfg_.wait_for_subscribers_s);
        return;
      }
    }
  }

  bool write_sample(Writer& w, const void* sample) {
    const dds_return_t rc = dds_write(w.writer.get(), sample);
    if (rc < 0) {
      ++w.failed;
      last_error_ = w.name + ": " + dds_strretcode(rc);
      return false;
    }
    ++w.written;
    return true;
  }

  void record(CameraHealth& h, const Frame& f) {
    // Frames missing between two published ones were dropped (slot, late or partial drops).
    if (h.last_index >= 0 && f.index > h.last_index + 1) {
      const auto gap = static_cast<uint64_t>(f.index - h.last_index - 1);
      h.drops += gap;
      h.interval_drops += gap;
    }
    h.last_index = f.index;
    ++h.frames;
    ++h.interval_frames;
    if (f.deadline_missed) {
      ++h.deadline_misses;
      ++h.interval_misses;
    }
    if (f.complete_ns > 0) h.latencies_ns.push_back(f.complete_ns - f.capture_ns);
  }

  void diagnostics_loop() {
    const auto period = std::chrono::nanoseconds(static_cast<int64_t>(1e9 / cfg_.diagnostics_hz));
    std::unique_lock lock(health_mu_);
    while (!diag_cv_.wait_for(lock, period, [this] { return stopping_; }))
      publish_diagnostics(false);
  }

  void stop_diagnostics() {
    {
      std::lock_guard lock(health_mu_);
      stopping_ = true;
    }
    diag_cv_.notify_all();
    if (diag_thread_.joinable()) diag_thread_.join();
  }

  // Under health_mu_ (or after the diagnostics thread has stopped).
  // `last`: the run's final message (its interval may be short and empty; not a warning).
  void publish_diagnostics(bool last) {
    const int64_t now = now_ns();
    const double dt = static_cast<double>(now - last_diag_ns_) * 1e-9;
    last_diag_ns_ = now;
    const size_t cams = health_.size();
    statuses_.assign(cams, {});
    kv_.assign(cams, {});
    kv_text_.assign(cams, {});
    names_.assign(cams, {});
    for (size_t c = 0; c < cams; ++c) {
      CameraHealth& h = health_[c];
      double p50 = 0;
      if (!h.latencies_ns.empty()) {
        auto mid = h.latencies_ns.begin() + static_cast<std::ptrdiff_t>(h.latencies_ns.size() / 2);
        std::nth_element(h.latencies_ns.begin(), mid, h.latencies_ns.end());
        p50 = static_cast<double>(*mid) * 1e-6;
      }
      const double fps = dt > 0 ? static_cast<double>(h.interval_frames) / dt : 0;
      auto& text = kv_text_[c];
      const SourceState src =
          info_.source_state ? info_.source_state(c) : SourceState::ok;  // capture thread's
      static const char* kSource[] = {"ok", "reconnecting", "lost"};
      text = {{"source", kSource[static_cast<int>(src) % 3]},
              {"fps", fmt(fps)},
              {"latency_ms_p50", fmt(p50)},
              {"frames", std::to_string(h.frames)},
              {"drops", std::to_string(h.drops)},
              {"deadline_misses", std::to_string(h.deadline_misses)},
              {"interval_drops", std::to_string(h.interval_drops)},
              {"interval_deadline_misses", std::to_string(h.interval_misses)}};
      auto& kv = kv_[c];
      kv.resize(text.size());
      for (size_t i = 0; i < text.size(); ++i) {
        kv[i].key_ = cstr(text[i].first);
        kv[i].value_ = cstr(text[i].second);
      }
      const bool idle = h.interval_frames == 0 && !last;
      const bool warn = idle || h.interval_drops > 0 || h.interval_misses > 0;
      names_[c] = "percept: camera " + info_.camera_ids[c];
      auto& s = statuses_[c];
      // DiagnosticStatus OK = 0, WARN = 1, ERROR = 2: a camera given up is an error for the
      // robot's operators (rqt_robot_monitor, diagnostic_aggregator), a reconnect a warning.
      s.level_ = src == SourceState::lost ? 2 : (warn || src == SourceState::reconnecting) ? 1 : 0;
      s.name_ = cstr(names_[c]);
      s.message_ =
          const_cast<char*>(src == SourceState::lost           ? "source lost (given up)"
                            : src == SourceState::reconnecting ? "source lost, reconnecting"
                            : idle                             ? "no frames"
                            : warn                             ? "drops or deadline misses"
                            : last                             ? "stopped (run totals)"
                                                               : "ok");
      s.hardware_id_ = cstr(frame_ids_[c]);
      s.values_._length = s.values_._maximum = static_cast<uint32_t>(kv.size());
      s.values_._buffer = kv.data();
      s.values_._release = false;
      h.interval_frames = h.interval_drops = h.interval_misses = 0;
      h.latencies_ns.clear();
    }
    diagnostic_msgs_msg_dds__DiagnosticArray_ msg{};
    const std::string empty;
    msg.header_ = header(std::chrono::duration_cast<std::chrono::nanoseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count(),
                         empty);
    msg.status_._length = msg.status_._maximum = static_cast<uint32_t>(cams);
    msg.status_._buffer = statuses_.data();
    msg.status_._release = false;
    // Not write_sample(): this runs on the diagnostics thread, last_error_ belongs to write().
    Writer& w = writers_[static_cast<size_t>(diagnostics_)];
    if (dds_write(w.writer.get(), &msg) < 0) {
      ++w.failed;
    } else {
      ++w.written;
    }
  }

  static std::string fmt(double v) {
    char b[32];
    std::snprintf(b, sizeof b, "%.2f", v);
    return b;
  }

  Ros2Config cfg_;
  const PipelineInfo& info_;
  std::vector<std::string> frame_ids_;
  std::shared_ptr<ros2::Node> node_;
  std::vector<Writer> writers_;
  struct ModelWriters {  // writers_ indices per kind of result, -1 for none
    int detections = -1, detections_3d = -1, depth = -1, segmentation = -1;
    int masks = -1;  // instance segmentation
  };
  std::vector<std::vector<ModelWriters>> model_writers_;  // [camera][model]
  std::vector<int> annotated_;                            // [camera] -> writers_ index, -1
  std::vector<int> camera_info_;                          // [camera] -> writers_ index, -1
  std::array<double, 5> zero_d_{};                        // CameraInfo.d: no distortion
  int diagnostics_ = -1;
  std::vector<CameraHealth> health_;
  int64_t last_diag_ns_ = 0;
  std::mutex health_mu_;  // health_'s counters, the diagnostics scratch below, last_diag_ns_
  std::condition_variable diag_cv_;
  bool stopping_ = false;
  std::thread diag_thread_;
  std::string last_error_;
  // Message scratch, reused across frames.
  ros2::MessageBuilder msgs_;
  std::vector<diagnostic_msgs_msg_dds__DiagnosticStatus_> statuses_;
  std::vector<std::vector<diagnostic_msgs_msg_dds__KeyValue_>> kv_;
  std::vector<std::vector<std::pair<std::string, std::string>>> kv_text_;
  std::vector<std::string> names_;
};

}  // namespace

bool ros2_available() {
  return true;
}

std::unique_ptr<Sink> make_ros2_sink(const Ros2Config& config, const PipelineInfo& info,
                                     std::vector<std::string> frame_ids) {
  frame_ids.resize(info.camera_ids.size());
  for (size_t c = 0; c < frame_ids.size(); ++c)
    if (frame_ids[c].empty()) frame_ids[c] = info.camera_ids[c];
  return std::make_unique<Ros2Sink>(config, info, std::move(frame_ids));
}

}  // namespace percept
