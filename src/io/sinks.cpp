#include "percept/io/sinks.hpp"

#include <spdlog/spdlog.h>

#include <array>
#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "percept/core/clock.hpp"
#include "percept/core/thread_priority.hpp"
#include "percept/core/whole_file.hpp"
#include "percept/io/annotate.hpp"
#include "percept/io/image_io.hpp"
#include "percept/io/results_json.hpp"

namespace percept {

namespace {

namespace fs = std::filesystem;

double ms(int64_t ns) {
  return round_ms(ns);
}

class JsonlSink final : public Sink {
 public:
  JsonlSink(const std::string& path, const PipelineInfo& info) : info_(info) {
    if (Status st = out_.open(path); !st) throw st.error();
  }
  std::string name() const override { return "jsonl"; }
  Status write(const Frame& f) override {
    Status result;
    for (size_t m : info_.camera_models[f.camera]) {
      const ModelResult& r = f.results[m];
      if (r.state == ModelResult::State::dropped) continue;
      // Built in a reused buffer: no allocation per line once it has grown, and no JSON tree
      // whose destructor could fail under memory pressure (docs/RELIABILITY.md).
      JsonWriter& w = line_;
      w.clear();
      w.begin_object()
          .field("camera", info_.camera_ids[f.camera])
          .field("frame", f.index)
          .field("capture_time_s", static_cast<double>(f.capture_wall_ns) * 1e-9)
          .field("model", info_.model_ids[m])
          .field("width", f.image.width())
          .field("height", f.image.height());
      if (r.state == ModelResult::State::failed) {
        w.field("error", r.error);
      } else {
        w.field("task", info_.model_tasks[m]).field("batch_size", r.batch_size);
        write_results_json(w, r.output, info_.model_labels[m]);
        const int dm = info_.camera_depth_model[f.camera];
        if (has(r.output.contents, Content::detections) && dm >= 0 &&
            f.results[static_cast<size_t>(dm)].state == ModelResult::State::done)
          w.field("distance_unit",
                  depth_unit_name(f.results[static_cast<size_t>(dm)].output.depth.unit));
        w.key("timing_ms")
            .begin_object()
            .field("queue", ms(r.dequeue_ns - f.capture_ns))
            .field("preprocess", ms(r.preprocess_end_ns - r.dequeue_ns))
            .field("inference", ms(r.inference_end_ns - r.preprocess_end_ns))
            .field("postprocess", ms(r.postprocess_end_ns - r.inference_end_ns))
            .field("end_to_end", ms(f.complete_ns - f.capture_ns))
            .end_object();
      }
      if (f.deadline_missed) w.field("deadline_missed", true);
      w.end_object();
      // The frame's other lines are still tried: each line is whole or absent on its own.
      if (Status st = out_.write_line(w.str()); !st && result) result = std::move(st);
    }
    return result;
  }
  void close() override { out_.close(); }
  std::vector<std::string> outputs() const override { return {out_.path()}; }

 private:
  JsonlWriter out_;
  JsonWriter line_;
  const PipelineInfo& info_;
};

// Draws every model's results on a frame onto `canvas` (a copy of the frame's pixels): class
// maps first (they tint whole pixels), then boxes and faces on top, tracked objects with their
// trails.
void annotate(const Frame& f, const PipelineInfo& info, Image& canvas, Trails& trails) {
  canvas.resize(f.image.width(), f.image.height(), f.image.format());
  std::memcpy(canvas.data(), f.image.view().data, f.image.stride() * f.image.height());
  std::vector<std::pair<int, std::string>> legend;  // classes the class maps show
  for (size_t m : info.camera_models[f.camera])
    if (f.results[m].state == ModelResult::State::done &&
        has(f.results[m].output.contents, Content::segmentation)) {
      const SegmentationMap& seg = f.results[m].output.segmentation;
      overlay_segmentation(canvas, seg);
      std::array<bool, 256> seen{};
      for (uint8_t c : seg.classes) seen[c] = true;
      for (int c = 0; c < 256; ++c)
        if (seen[static_cast<size_t>(c)]) legend.emplace_back(c, label_of(info.model_labels[m], c));
    }
  for (size_t m : info.camera_models[f.camera]) {
    const ModelResult& r = f.results[m];
    if (r.state != ModelResult::State::done) continue;
    const Content c = r.output.contents;
    // Instance masks under their boxes.
    if (has(c, Content::masks)) overlay_masks(canvas, r.output.detections, r.output.masks);
    if (has(c, Content::detections)) {
      trails.update_and_draw(canvas, f.camera, m, f.index, r.output.detections);
      draw_detections(canvas, r.output.detections,
                      [&](int id) { return label_of(info.model_labels[m], id); });
    }
    // Pose keypoints over their boxes.
    if (has(c, Content::keypoints)) draw_keypoints(canvas, r.output.detections, r.output.keypoints);
    if (has(c, Content::faces)) draw_faces(canvas, r.output.faces);
    if (has(c, Content::depth)) draw_depth_inset(canvas, r.output.depth);
  }
  draw_class_legend(canvas, legend);
}

class VideoSink final : public Sink {
 public:
  VideoSink(const std::string& dir, const PipelineInfo& info, std::vector<double> fps)
      : info_(info), writers_(info.camera_ids.size()) {
    for (size_t c = 0; c < writers_.size(); ++c)
      writers_[c].configure((fs::path(dir) / (info.camera_ids[c] + ".annotated.avi")).string(),
                            c < fps.size() ? fps[c] : 0);
  }
  std::string name() const override { return "video"; }
  Status write(const Frame& f) override {
    annotate(f, info_, canvas_, trails_);
    return writers_[f.camera].write(canvas_.view());
  }
  void close() override {
    for (auto& w : writers_) w.close();
  }
  std::vector<std::string> outputs() const override {
    std::vector<std::string> o;
    for (const auto& w : writers_)
      for (std::string& f : w.files()) o.push_back(std::move(f));
    return o;
  }

 private:
  const PipelineInfo& info_;
  std::vector<VideoWriter> writers_;
  Image canvas_;
  Trails trails_;
};

// All cameras in one video (mosaic.annotated.avi): a grid of tiles, each camera's latest
// annotated frame letterboxed into its tile with the camera's id in the corner. A mosaic frame
// is written on each frame of the first camera (its clock and FPS); the other tiles show their
// camera's latest frame, so cameras at other rates still appear, and a camera that has not
// delivered yet is a black tile.
class MosaicSink final : public Sink {
 public:
  MosaicSink(const std::string& dir, const PipelineInfo& info, double fps, int tile_width)
      : info_(info) {
    const size_t n = std::max<size_t>(1, info.camera_ids.size());
    cols_ = static_cast<int>(std::ceil(std::sqrt(static_cast<double>(n))));
    rows_ = static_cast<int>((n + static_cast<size_t>(cols_) - 1) / static_cast<size_t>(cols_));
    tile_w_ = tile_width;
    tile_h_ = tile_width * 9 / 16;
    mosaic_.resize(cols_ * tile_w_, rows_ * tile_h_, PixelFormat::bgr8);
    std::memset(mosaic_.data(), 0, mosaic_.stride() * static_cast<size_t>(mosaic_.height()));
    for (const std::string& id : info.camera_ids) labels_.emplace_back(id, 0.7);
    writer_.configure((fs::path(dir) / "mosaic.annotated.avi").string(), fps);
  }
  std::string name() const override { return "mosaic"; }
  Status write(const Frame& f) override {
    annotate(f, info_, canvas_, trails_);
    place(static_cast<size_t>(f.camera));
    if (f.camera != 0) return {};
    return writer_.write(mosaic_.view());
  }
  void close() override { writer_.close(); }
  std::vector<std::string> outputs() const override { return writer_.files(); }

 private:
  // Letterboxes the annotated frame into camera c's tile (colour kept: bgr8 or gray to bgr).
  void place(size_t c) {
    cv::Mat out = mat_view(mosaic_);
    const int x0 = static_cast<int>(c % static_cast<size_t>(cols_)) * tile_w_;
    const int y0 = static_cast<int>(c / static_cast<size_t>(cols_)) * tile_h_;
    cv::Mat tile = out(cv::Rect(x0, y0, tile_w_, tile_h_));
    tile.setTo(cv::Scalar(0, 0, 0));
    const double s = std::min(static_cast<double>(tile_w_) / canvas_.width(),
                              static_cast<double>(tile_h_) / canvas_.height());
    const int w = std::max(1, static_cast<int>(canvas_.width() * s));
    const int h = std::max(1, static_cast<int>(canvas_.height() * s));
    cv::Mat dst = tile(cv::Rect((tile_w_ - w) / 2, (tile_h_ - h) / 2, w, h));
    cv::Mat src = mat_view(canvas_);
    if (canvas_.format() == PixelFormat::gray8) {
      cv::resize(src, scaled_, cv::Size(w, h), 0, 0, cv::INTER_AREA);
      cv::cvtColor(scaled_, dst, cv::COLOR_GRAY2BGR);
    } else {
      cv::resize(src, dst, cv::Size(w, h), 0, 0, cv::INTER_AREA);
      if (canvas_.format() == PixelFormat::rgb8) cv::cvtColor(dst, dst, cv::COLOR_RGB2BGR);
    }
    if (c < labels_.size()) labels_[c].draw(mosaic_, x0, y0, tile_w_, tile_h_);  // camera id
  }

  const PipelineInfo& info_;
  int cols_ = 1, rows_ = 1, tile_w_ = 640, tile_h_ = 360;
  Image mosaic_, canvas_;
  cv::Mat scaled_;
  Trails trails_;
  VideoWriter writer_;
  std::vector<OutlinedText> labels_;  // per camera, rendered once
};

class ImageSink final : public Sink {
 public:
  ImageSink(const std::string& dir, const PipelineInfo& info, int every)
      : dir_(dir), info_(info), every_(every > 0 ? every : 1) {}
  std::string name() const override { return "images"; }
  Status write(const Frame& f) override {
    if (f.index % every_ != 0) return {};
    const fs::path folder = fs::path(dir_) / info_.camera_ids[f.camera];
    std::error_code ec;
    fs::create_directories(folder, ec);
    char name[32];
    std::snprintf(name, sizeof name, "%08lld.jpg", static_cast<long long>(f.index));
    annotate(f, info_, canvas_, trails_);
    const std::string path = (folder / name).string();
    // Encoded here and written by write_whole_file rather than cv::imwrite, which says only
    // "false", not why: the error has errno's text (a full disk says so), and the image appears
    // under its name whole or not at all, even to a reader or a crash during the write.
    bool ok = false;
    try {
      ok = cv::imencode(".jpg", mat_view(canvas_), jpeg_);
    } catch (const cv::Exception&) {
    }
    if (!ok) return Error("cannot encode '" + path + "' as JPEG");
    const std::string_view bytes(reinterpret_cast<const char*>(jpeg_.data()), jpeg_.size());
    if (Status st = write_whole_file(path, bytes, false); !st) return st;
    ++written_;
    return {};
  }
  void close() override {}
  std::vector<std::string> outputs() const override {
    if (written_ == 0) return {};
    return {dir_ + "/<camera>/*.jpg (" + std::to_string(written_) + " images)"};
  }

 private:
  std::string dir_;
  const PipelineInfo& info_;
  int every_;
  Image canvas_;
  Trails trails_;
  std::vector<uchar> jpeg_;  // reused: no allocation per image once it has grown
  uint64_t written_ = 0;
};

class PreviewSink final : public Sink {
 public:
  PreviewSink(const PipelineInfo& info, std::function<void(const std::string&, const Image&)> cb)
      : info_(info), callback_(std::move(cb)) {}
  std::string name() const override { return "preview"; }
  Status write(const Frame& f) override {
    annotate(f, info_, canvas_, trails_);
    callback_(info_.camera_ids[static_cast<size_t>(f.camera)], canvas_);
    return {};
  }
  void close() override {}
  std::vector<std::string> outputs() const override { return {}; }

 private:
  const PipelineInfo& info_;
  std::function<void(const std::string&, const Image&)> callback_;
  Image canvas_;
  Trails trails_;
};

}  // namespace

std::unique_ptr<Sink> make_preview_sink(
    const PipelineInfo& info, std::function<void(const std::string&, const Image&)> callback) {
  return std::make_unique<PreviewSink>(info, std::move(callback));
}
std::unique_ptr<Sink> make_jsonl_sink(const std::string& path, const PipelineInfo& info) {
  return std::make_unique<JsonlSink>(path, info);
}
std::unique_ptr<Sink> make_video_sink(const std::string& dir, const PipelineInfo& info,
                                      std::vector<double> camera_fps) {
  return std::make_unique<VideoSink>(dir, info, std::move(camera_fps));
}
std::unique_ptr<Sink> make_mosaic_sink(const std::string& dir, const PipelineInfo& info, double fps,
                                       int tile_width) {
  return std::make_unique<MosaicSink>(dir, info, fps, tile_width);
}
std::unique_ptr<Sink> make_image_sink(const std::string& dir, const PipelineInfo& info, int every) {
  return std::make_unique<ImageSink>(dir, info, every);
}

SinkWorker::SinkWorker(std::unique_ptr<Sink> sink, size_t depth, bool lossless, LiveSink* live)
    : sink_(std::move(sink)),
      depth_(depth ? depth : 1),
      lossless_(lossless),
      own_live_(live ? nullptr : std::make_unique<LiveSink>()),
      live_(live ? live : own_live_.get()),
      thread_([this] { loop(); }) {}

SinkWorker::~SinkWorker() {
  finish();
}

void SinkWorker::push(FrameRef f) {
  std::unique_lock lock(mu_);
  if (lossless_) {
    room_.wait(lock, [&] { return queue_.size() < depth_ || done_; });
  } else if (queue_.size() >= depth_) {
    live_->dropped.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  queue_.push_back(std::move(f));
  ready_.notify_one();
}

void SinkWorker::finish() {
  {
    std::lock_guard lock(mu_);
    if (done_ && !thread_.joinable()) return;
    done_ = true;
    ready_.notify_all();
  }
  if (thread_.joinable()) thread_.join();
  sink_->close();
}

void SinkWorker::loop() {
  name_this_thread("sink:" + sink_->name());
  if (sink_->background()) lower_thread_priority();
  for (;;) {
    FrameRef f;
    {
      std::unique_lock lock(mu_);
      ready_.wait(lock, [&] { return !queue_.empty() || done_; });
      if (queue_.empty()) return;  // done and drained
      f = std::move(queue_.front());
      queue_.pop_front();
      room_.notify_one();
    }
    Status st;
    try {
      st = sink_->write(*f);
    } catch (const std::exception& e) {  // std::bad_alloc, OpenCV: counted like any failed write
      st = Error(error_code_of(e), e.what());
    }
    // Logged once per burst of failures and once when it is over: a full disk fails every
    // frame until space returns, and the log should show the outage, not each frame. The burst
    // ends after a second without a failure, not at the first success: the image sink succeeds
    // on the frames it skips (images_every) between failed ones.
    const int64_t now = now_ns();
    if (!st) {
      live_->errors.fetch_add(1, std::memory_order_relaxed);
      if (failing_++ == 0)
        spdlog::error("sink '{}': {} (further failures counted, logged when they stop)",
                      sink_->name(), st.error().message());
      last_failure_ns_ = now;
    } else {
      if (failing_ > 0 && now - last_failure_ns_ > kBurstGapNs) {
        spdlog::warn("sink '{}' writes again after {} failed writes", sink_->name(), failing_);
        failing_ = 0;
      }
      live_->written.fetch_add(1, std::memory_order_relaxed);
    }
  }
}

}  // namespace percept
