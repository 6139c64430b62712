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
#include "percept/telemetry/run_summary.hpp"
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
  // Sinks of the embedder's own (the Python API's result queue), made once the pipeline knows
  // its cameras and models. Each runs like a config's sink: on its own thread behind a queue
  // of output.queue_depth frames, waited for in lossless mode and dropped from (and counted)
  // in live mode, in the telemetry and the summary under its name().
  std::function<std::vector<std::unique_ptr<Sink>>(const PipelineInfo&)> extra_sinks;
};

// Opens every source, model and output (throws percept::Error naming what failed), runs to
// the end, and returns the statistics: the telemetry collector's summary after its last
// snapshot (telemetry/run_summary.hpp, which also formats it). summary.json is written when the
// config asks for it.
RunSummary run_pipeline(const PipelineConfig& config, const RuntimeOptions& options);

}  // namespace percept
