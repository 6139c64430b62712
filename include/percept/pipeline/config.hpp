// The `percept run` configuration file (YAML). Relative paths are relative to the config
// file's folder. Every key is checked: an unknown key, a wrong type, an out-of-range value or a
// missing file is an error "FILE:LINE: key: problem" (STYLE 9: nothing is guessed quietly).
// Every file a key names (path, rectify, labels; an images path may be a folder) must be a
// regular file: a FIFO, a device or a socket is refused before it is opened. The config,
// labels, model sidecars and calibrations are at most 4 MiB each (core/small_file.hpp).
//
//   mode: lossless               # lossless | live; default: lossless when every camera is
//                                #   a file or image folder, live otherwise
//   cameras:
//     - id: front                # names the camera in every output
//       source: video            # video | images (file, folder or glob such as dir/*.png)
//                                #   | device (path: /dev/video0 or 0) | stream (path: URL)
//                                #   | synthetic (moving shapes with ground truth)
//                                #   | ros2 (sensor_msgs/Image from `topic`: rgb8,
//                                #   bgr8, mono8; rgba8/bgra8 lose their alpha)
//                                #   | bag (Image or CompressedImage messages of `topic` in
//                                #   a bag: path: an .mcap, a .db3 or a rosbag2 folder)
//       path: clip.avi
//       max_image_pixels: 100000000  # images, video, device, stream, bag: an image whose header
//                                #   declares more pixels is a read error before it is decoded;
//                                #   a video whose frames are larger is refused at open
//       frame_id: front_optical  # header.frame_id of its ROS 2 messages (default: the id)
//       topic: /cam/image_raw    # ros2 and bag; ros2 also takes qos: sensor_data |
//                                #   reliable (default sensor_data), depth: 1, timeout_s: 0
//                                #   (end of stream after this long without a message;
//                                #   0: never)
//       pace: false              # play files at their own FPS (default: true in live mode)
//       queue_depth: 1           # frames waiting per model; live mode drops the oldest
//       deadline_ms: 33          # a result later than this is a deadline miss (0: none)
//       drop_late: false         # drop late results (and frames too old to be worth inferring)
//       reconnect:               # device and stream only: a lost camera is reopened after
//         attempts: 10           #   backoff_ms, doubling up to backoff_max_ms; given up after
//         backoff_ms: 100        #   `attempts` tries in a row without a frame (the other
//         backoff_max_ms: 5000   #   cameras go on)
//       fps: 30                  # synthetic only: frame rate; also width, height,
//                                #   frames (-1: endless), objects, seed, wander (shapes
//                                #   leave the frame and come back instead of bouncing)
//       rectify: front.yaml      # undistort every frame with this ROS camera_info calibration
//                                #   (docs/RECTIFY.md); its size must be the frames' size
//       blur: {sigma: 1.2}       # Gaussian blur after rectification; also ksize (odd, 0:
//                                #   from sigma as OpenCV). Both on the capture thread
//       priority: 0              # the deadline controller skips frames of the cameras with
//                                #   the lowest priority first (docs/CONTROL.md)
//       intrinsics: {fx: 600, fy: 600, cx: 320, cy: 240}  # pixels; default: the P of the
//                                #   `rectify:` calibration. With a metric depth model on the
//                                #   camera, detections get position_m / size_m (docs/TRACKING.md)
//   models:
//     - id: detector
//       task: detect             # detect | depth | segment | classify | face; default: the
//                                #   model's sidecar or metadata, else told from its tensors
//       path: model.onnx
//       cameras: [front]         # default: every camera
//       conf: 0.25               # confidence threshold (detect 0.25, face 0.75)
//       iou: 0.45                # NMS IoU threshold (detect 0.45, face 0.3)
//       max_det: 300             # detect, face
//       top_k: 5                 # classify
//       mask_threshold: 0.5      # segment with a one-channel output
//       layout: auto             # auto | v8 | v5 | end2end (detector output) | nchw | nhwc
//       labels: labels.txt       # default: the sidecar's or the model's `names`
//       input_size: [640, 640]   # [width, height]; default: from the model
//       color: rgb               # rgb | bgr; mean: [r, g, b], std: [r, g, b] (pixel/255
//       resize: letterbox        #   units); resize: letterbox | stretch | keep_aspect;
//       depth_unit: m            #   depth_unit: m | relative. Default: sidecar, metadata,
//                                #   then the task's convention (infer/model_conventions.hpp)
//       device: cpu
//       threads: 0               # ONNX Runtime intra-op threads, 0 = its default
//       graph_optimization: all  # disable | basic | extended | all
//       spin_wait: false         # ONNX Runtime threads spin between tasks (see BackendOptions)
//       max_batch: 1             # dynamic batching across the model's cameras
//       max_wait_us: 0           # longest wait for a fuller batch
//       tracker: bytetrack       # detect only: track objects (docs/TRACKING.md); or a map
//                                #   {type: bytetrack, high_thresh: 0.25, low_thresh: 0.1,
//                                #   new_track_thresh: 0.25, match_thresh: 0.8, track_buffer: 30,
//                                #   max_detections: 1000}. The model decodes down to
//                                #   low_thresh; boxes under `conf` are published only when they
//                                #   continue a track
//       variants: [m_480.onnx]   # lighter models (same task and labels), heaviest first: the
//                                #   deadline controller switches to them under load
//   control:                     # the deadline controller (docs/CONTROL.md); off by default
//     enabled: true              # also interval_s, window_s, miss_high, miss_low, p99_high,
//                                #   p99_low, settle_s, restore_after_s, max_restore_after_s,
//                                #   max_skip, min_frames, max_busy
//   fusion:
//     distance: cluster          # cluster | median | mean | min | p10 of the depth inside
//                                #   each box (cluster: the densest depth band, the object)
//   output:
//     dir: out                   # created when missing
//     jsonl: true                # detections.jsonl, one line per frame and model
//     video: true                # <camera>.annotated.avi
//     mosaic: false              # mosaic.annotated.avi: every camera in one grid video
//     mosaic_tile_width: 640     # pixels per tile (16:9); paced by the first camera
//     images: false              # <camera>/<frame>.jpg, annotated
//     images_every: 1            # every Nth frame
//     queue_depth: 64            # frames waiting per sink; live mode drops when full
//     summary: true              # summary.json
//     bag:                       # a ROS 2 bag of the published topics (docs/ROS2.md)
//       path: out/percept.mcap   # default <dir>/percept.mcap; sqlite3: <dir>/percept_bag
//       format: mcap             # mcap | sqlite3 (a folder: .db3 + metadata.yaml)
//       compression: none        # none | zstd | lz4, per chunk (mcap only)
//       images: false            # also /<namespace>/<camera>/image_raw
//       chunk_mib: 1             # a chunk (sqlite3: a transaction) goes to disk at
//       chunk_s: 1               #   this size or this age: what a crash can lose
//   telemetry:                   # off unless jsonl or metrics is set (docs/TELEMETRY.md)
//     jsonl: out/telemetry.jsonl # one snapshot per interval
//     interval_s: 1.0
//     metrics: {port: 9464, host: 127.0.0.1}   # GET /metrics; port 0 = any free port
//   ros2:                        # ROS 2 over DDS (docs/ROS2.md, io/ros2_options.hpp)
//     enabled: true              # publish results; ros2 cameras need only the DDS keys
//     domain_id: 0               # default: $ROS_DOMAIN_ID, else 0
//     qos: reliable              # publishers: reliable | sensor_data
//     depth: 0                   # history depth (0: 10 reliable, 1 sensor_data)
//     deadline_ms: 0             # offered deadline QoS (0: none)
//     max_blocking_ms: 5         # reliable writes wait at most this long for a slow reader
//     localhost_only: false      # default: $ROS_LOCALHOST_ONLY == 1
//     namespace: percept         # topics /<namespace>/<camera>/<model>/detections ...
//     annotated_hz: 0            # /<namespace>/<camera>/annotated rgb8, 0: off
//     diagnostics_hz: 1          # /diagnostics per camera, 0: off
//     wait_for_subscribers_s: 0  # at start, wait until every topic has a subscriber
//     socket_buffer_bytes: 8388608
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "percept/core/intrinsics.hpp"
#include "percept/imgproc/camera_info.hpp"
#include "percept/io/bag_options.hpp"
#include "percept/io/ros2_options.hpp"
#include "percept/io/source.hpp"
#include "percept/pipeline/control.hpp"
#include "percept/pipeline/fuser.hpp"
#include "percept/tasks/task.hpp"
#include "percept/track/byte_tracker.hpp"

namespace percept {

// How a lost live camera (device, stream) is reopened: after backoff_ms, doubled on each failed
// attempt up to backoff_max_ms; given up after `attempts` attempts in a row without a frame.
struct ReconnectConfig {
  int attempts = 10;
  double backoff_ms = 100;
  double backoff_max_ms = 5000;
};

struct CameraConfig {
  std::string id;
  SourceConfig source;
  std::optional<bool> pace;  // default: live mode paces, lossless does not
  size_t queue_depth = 1;
  double deadline_ms = 0;
  bool drop_late = false;
  std::string frame_id;  // header.frame_id of its ROS 2 messages; the id when not set
  std::optional<ReconnectConfig> reconnect;  // `reconnect:`; unset: RuntimeOptions' defaults
  std::string rectify_path;                  // `rectify:` resolved; "" = no rectification
  std::optional<CameraInfo> rectify;         // loaded and checked with the config
  double blur_sigma = 0;                     // `blur:`; sigma 0 and ksize 0 = no blur
  int blur_ksize = 0;
  std::optional<Intrinsics> intrinsics;  // `intrinsics:`, else the rectify calibration's P
  std::string intrinsics_where;          // "FILE:LINE" of the key, for errors found later
  int priority = 0;  // the deadline controller skips frames of lower priorities first
};

struct ModelConfig {
  std::string id;
  TaskConfig task;                   // model path, backend options, conventions from the config
  std::vector<std::string> cameras;  // resolved: never empty after loading
  size_t max_batch = 1;
  int64_t max_wait_us = 0;
  std::optional<TrackerConfig> tracker;  // `tracker:`; task.conf is lowered to its low_thresh
  std::string tracker_where;             // "FILE:LINE" of the key, for errors found at open
  std::vector<std::string> variants;     // lighter models for the deadline controller, in order
  std::string variants_where;            // "FILE:LINE" of the key
};

struct OutputConfig {
  std::string dir;
  bool jsonl = true;
  bool video = true;
  bool images = false;
  int images_every = 1;
  // `mosaic: true`: every camera in one video, mosaic.annotated.avi (tiles `mosaic_tile_width`
  // pixels wide, 16:9; a frame per frame of the first camera).
  bool mosaic = false;
  int mosaic_tile_width = 640;
  bool summary = true;
  size_t queue_depth = 64;
  // `bag:` record what percept publishes on ROS 2 to an MCAP bag (docs/ROS2.md, "Recording").
  std::optional<BagOptions> bag;
};

// `telemetry:` one snapshot every interval_s (docs/TELEMETRY.md), to a JSONL file and/or a
// Prometheus /metrics endpoint. Off unless one of the two is asked for.
struct TelemetryConfig {
  std::string jsonl;  // resolved path; "" = no file
  double interval_s = 1.0;
  std::optional<int> metrics_port;  // set: serve /metrics (0 = any free port)
  std::string metrics_host = "127.0.0.1";
  std::vector<std::string> metrics_allowed_hosts;  // Host names besides this machine's
  bool enabled() const { return !jsonl.empty() || metrics_port.has_value(); }
};

enum class PipelineMode { lossless, live };

struct PipelineConfig {
  std::string file;
  PipelineMode mode = PipelineMode::lossless;
  DistanceStat distance = DistanceStat::cluster;  // docs/TRACKING.md: which statistic
  std::vector<CameraConfig> cameras;
  std::vector<ModelConfig> models;
  OutputConfig output;
  TelemetryConfig telemetry;
  Ros2Config ros2;
  ControlConfig control;  // `control:` the deadline controller (docs/CONTROL.md); off by default
};

// Throws percept::Error "FILE:LINE: ..." on any problem with the file or its values.
PipelineConfig load_pipeline_config(const std::string& path);
// The same from YAML text (the Python API's percept.Runtime): `name` stands for the file in
// messages, and relative paths resolve against `base_dir`.
PipelineConfig parse_pipeline_config(const std::string& text, const std::string& name,
                                     const std::string& base_dir);
// One entry of `models:` from YAML text (percept.Model's options), checked like the config's.
ModelConfig parse_model_config(const std::string& text, const std::string& name,
                               const std::string& base_dir);

}  // namespace percept
