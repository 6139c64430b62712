// The pipeline runtime of ARCHITECTURE.md: one capture thread per camera feeding latest-frame
// slots, one executor per model (dynamic batching across its cameras), a per-camera sequencer
// that releases finished frames in capture order to the fuser and the sinks, and sinks on
// their own threads behind bounded queues.
//
// Live mode: cameras never wait (a full slot drops its oldest frame), files are paced at
// their FPS, a slow sink drops frames. Lossless mode: nothing is dropped; back-pressure
// reaches the sources. Shutdown (end of every source, or request_stop()) drains in order:
// sources, executors, sinks; every accepted frame's results are written.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "percept/io/sinks.hpp"
#include "percept/pipeline/config.hpp"
#include "percept/pipeline/executor.hpp"
#include "percept/telemetry/histogram.hpp"
#include "percept/telemetry/snapshot.hpp"

namespace percept {

struct RuntimeOptions {
  int64_t max_frames = -1;  // per camera; -1: until the source ends or stop is requested
  // How each camera's source is opened (default: open_source) and a wrapper put around each
  // model's backend (default: none). Embedders use them for their own sources; the fault tests
  // use them to inject sources that die and backends that fail.
  std::function<std::unique_ptr<Source>(const SourceConfig&)> open_source;
  std::function<std::unique_ptr<Backend>(std::unique_ptr<Backend>, const ModelConfig&)>
      wrap_backend;
  // A live source (device, stream) that ends, or fails 100 reads in a row, is reopened after
  // reconnect_backoff_ms, doubled on each failed attempt up to reconnect_backoff_max_ms. After
  // reconnect_attempts attempts in a row without a frame read, the camera is given up (the
  // others go on). Files and synthetic sources end normally. A camera's `reconnect:` keys
  // (CameraConfig::reconnect) override these three for that camera.
  int reconnect_attempts = 10;
  double reconnect_backoff_ms = 100;
  double reconnect_backoff_max_ms = 5000;
  // Polled while running: when it turns true the runtime stops capturing and drains (signals).
  const std::atomic<bool>* stop_flag = nullptr;
  // Called on the telemetry thread with each snapshot (e.g. to serve /metrics); setting it
  // turns telemetry on even without a `telemetry:` section.
  std::function<void(const TelemetrySnapshot&)> on_telemetry;
  // Called on a preview thread of its own with a camera's latest annotated frame (what the
  // video sink draws), at most once per frame_interval_s per camera. A frame that comes while
  // the callback is busy is skipped, never waited for, lossless mode included: a slow callback
  // (JPEG encoding, the dashboard) costs the pipeline nothing but the skipped previews.
  std::function<void(const std::string& camera, const Image& annotated)> on_frame;
  double frame_interval_s = 0.2;
};

struct CameraSummary {
  std::string id;
  uint64_t captured = 0;     // frames read from the source
  uint64_t read_errors = 0;  // frames that could not be decoded
  uint64_t reconnects = 0;   // times a lost live source was reopened
  bool gave_up = false;      // the source was lost for good (reconnect attempts exhausted)
  uint64_t slot_drops = 0;   // displaced from the camera's slot before any model started them
  uint64_t unprocessed = 0;  // no model produced a result (displaced, or too old at dequeue)
  uint64_t partial = 0;      // some models produced a result, others dropped it at dequeue
  uint64_t completed = 0;    // published with at least one model's result (partial included)
  uint64_t deadline_misses = 0;
  uint64_t late_dropped = 0;  // completed after the deadline with drop_late: not published
  uint64_t published = 0;
  double fps = 0;           // completed / wall time
  Histogram end_to_end_ns;  // capture -> every model done
  Histogram imgproc_ns;     // rectify + blur on the capture thread (empty when neither is set)
};

struct ModelSummary {
  std::string id;
  size_t max_batch = 1;
  ExecutorStats stats;
};

struct RunSummary {
  PipelineMode mode = PipelineMode::lossless;
  double wall_s = 0;
  std::vector<CameraSummary> cameras;
  std::vector<ModelSummary> models;
  std::vector<std::pair<std::string, SinkStats>> sinks;
  std::vector<std::string> outputs;
  size_t frames_allocated = 0;  // frame pool high-water mark

  uint64_t completed() const;
  double fps() const { return wall_s > 0 ? static_cast<double>(completed()) / wall_s : 0; }
  uint64_t failed() const;  // read errors + failed inferences
};

// Opens every source, model and output (throws percept::Error naming what failed), runs to
// the end, and returns the statistics. summary.json is written when the config asks for it.
RunSummary run_pipeline(const PipelineConfig& config, const RuntimeOptions& options);

// The summary as JSON (what summary.json holds) and as the text `percept run` prints.
std::string summary_json(const RunSummary& s, const PipelineConfig& config);
std::string summary_text(const RunSummary& s);

}  // namespace percept
