// Where finished frames go. Each sink runs on its own thread behind a bounded queue
// (SinkWorker), so a slow disk never stalls inference in live mode (the frame is dropped and
// counted) and applies back-pressure in lossless mode.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "percept/core/intrinsics.hpp"
#include "percept/core/jsonl_writer.hpp"
#include "percept/io/frame.hpp"
#include "percept/io/video_writer.hpp"
#include "percept/telemetry/live.hpp"

namespace percept {

// What sinks need to know about the pipeline to describe a frame.
struct PipelineInfo {
  std::vector<std::string> camera_ids;
  std::vector<std::string> model_ids;
  std::vector<std::vector<size_t>> camera_models;  // models serving each camera
  std::vector<std::string> model_tasks;            // registry names, for the records ("detect")
  std::vector<Content> model_produces;             // what each model's outputs can contain
  // Each model's class names, resolved when it opened: sinks never call back into executors.
  std::vector<std::vector<std::string>> model_labels;
  std::vector<int> camera_depth_model;  // the depth model whose map gave distances, or -1
  // Whether the camera's detections can have 3D positions (intrinsics and a metric depth model).
  std::vector<bool> camera_3d;
  // Each camera's pinhole model in the pixels percept processes (after `rectify:`), when the
  // config gives one (`intrinsics:` or the calibration's P); the ROS 2 sink publishes it as
  // sensor_msgs/CameraInfo.
  std::vector<std::optional<Intrinsics>> camera_intrinsics;
  // What a camera's source is doing now (any thread may ask; unset: always ok). The ROS 2
  // diagnostics report a lost source as an error.
  std::function<SourceState(size_t camera)> source_state;
};

class Sink {
 public:
  virtual ~Sink() = default;
  virtual std::string name() const = 0;
  // Called from the sink's own thread only. An error is counted, the sink keeps going.
  virtual Status write(const Frame& f) = 0;
  virtual void close() = 0;
  virtual std::vector<std::string> outputs() const = 0;  // files written
  // Whether the sink's thread runs at background priority (core/thread_priority.hpp): files
  // and previews do; a sink whose output others wait for (ROS 2 topics) says false.
  virtual bool background() const { return true; }
};

// detections.jsonl: one line per frame and model: camera, frame index, capture time (wall
// clock, seconds since the epoch, for matching with other sensors), the model's task and
// results (io/results_json.hpp; detections with distances), and stage timings in ms
// (queue, preprocess, inference, postprocess, end to end).
std::unique_ptr<Sink> make_jsonl_sink(const std::string& path, const PipelineInfo& info);
// <dir>/<camera>.annotated.avi, boxes with labels, scores and distances drawn; after a full
// disk the video goes on in <camera>.annotated.<n>.avi (io/video_writer.hpp).
std::unique_ptr<Sink> make_video_sink(const std::string& dir, const PipelineInfo& info,
                                      std::vector<double> camera_fps);
// <dir>/mosaic.annotated.avi: every camera's annotated frames in one grid of tiles
// `tile_width` pixels wide (16:9), a frame per frame of the first camera, at `fps`.
std::unique_ptr<Sink> make_mosaic_sink(const std::string& dir, const PipelineInfo& info, double fps,
                                       int tile_width);
// <dir>/<camera>/<frame>.jpg every `every` frames, annotated.
std::unique_ptr<Sink> make_image_sink(const std::string& dir, const PipelineInfo& info, int every);
// Annotates each frame it is given and hands it to `callback` (camera id, annotated pixels),
// on the sink's thread; writes no file.
std::unique_ptr<Sink> make_preview_sink(
    const PipelineInfo& info, std::function<void(const std::string&, const Image&)> callback);

class SinkWorker {
 public:
  // `live`: where the sink's frames written, dropped and failed are counted (the telemetry's
  // and the summary's one count); null: a private count (the preview, not a summary sink).
  SinkWorker(std::unique_ptr<Sink> sink, size_t depth, bool lossless, LiveSink* live = nullptr);
  ~SinkWorker();
  // Live: drops (and counts) the frame when the queue is full. Lossless: waits for room.
  void push(FrameRef f);
  // Writes what is queued, closes the sink and joins the thread.
  void finish();
  const Sink& sink() const { return *sink_; }

 private:
  void loop();
  std::unique_ptr<Sink> sink_;
  size_t depth_;
  bool lossless_;
  std::mutex mu_;
  std::condition_variable ready_, room_;
  std::deque<FrameRef> queue_;
  bool done_ = false;
  std::unique_ptr<LiveSink> own_live_;  // when none was given
  LiveSink* live_;
  // The current burst of failed writes (the sink's thread only): how many, and the last one.
  static constexpr int64_t kBurstGapNs = 1'000'000'000;
  uint64_t failing_ = 0;
  int64_t last_failure_ns_ = 0;
  std::thread thread_;  // last: it starts in the constructor and uses the members above
};

}  // namespace percept
