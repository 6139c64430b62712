// The end of a run in figures: what `percept run` prints and summary.json holds. It is made by
// the TelemetryCollector from the same live counters the periodic snapshots read, after its
// last snapshot (TelemetryCollector::summary), so every event is counted once, by one owner,
// and the summary and the telemetry can never disagree. Formatting lives here too.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "percept/telemetry/histogram.hpp"
#include "percept/telemetry/snapshot.hpp"

namespace percept {

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
  uint64_t skipped = 0;     // left out by the deadline controller (docs/CONTROL.md)
  double fps = 0;           // completed / wall time
  Histogram end_to_end_ns;  // capture -> every model done
  Histogram imgproc_ns;     // rectify + blur on the capture thread (empty when neither is set)
};

// One model's executor over the whole run.
struct ModelStats {
  uint64_t frames = 0;        // inferred
  uint64_t failed = 0;        // in a batch whose inference failed
  uint64_t dropped_late = 0;  // too old at dequeue
  uint64_t batches = 0;
  // Out-of-memory batches that made the executor halve its max_batch (for the rest of the run);
  // the frames were retried in halves. ModelSummary::max_batch is the batch it ended with.
  uint64_t oom_degrades = 0;
  std::vector<uint64_t> batch_sizes;  // [n] = batches of n frames
  // With `tracker:` (docs/TRACKING.md): track ids handed out, and boxes the trackers refused
  // (non-finite, no area) or published untracked (beyond max_detections), over all cameras.
  bool tracked = false;
  uint64_t tracks = 0, track_invalid = 0, track_capped = 0;
  Histogram queue_ns;                                     // per frame: capture -> dequeue
  Histogram preprocess_ns, inference_ns, postprocess_ns;  // per batch
};

struct ModelSummary {
  std::string id;
  size_t max_batch = 1;
  ModelStats stats;
};

struct SinkStats {
  uint64_t written = 0, dropped = 0, errors = 0;
};

struct RunSummary {
  std::string config;  // the config file the run came from
  bool live = false;   // live mode (else lossless)
  double wall_s = 0;
  std::vector<CameraSummary> cameras;
  std::vector<ModelSummary> models;
  std::vector<std::pair<std::string, SinkStats>> sinks;
  std::vector<std::string> outputs;
  // Whole files of the run that could not be written (summary.json), each with its reason:
  // like a sink's errors, they make `percept run` exit 1. Not in summary.json itself.
  std::vector<std::string> write_errors;
  size_t frames_allocated = 0;  // frame pool high-water mark
  // The deadline controller's end state and every action (the first 1000), when enabled.
  std::optional<ControlTelemetry> control;

  uint64_t completed() const;
  double fps() const { return wall_s > 0 ? static_cast<double>(completed()) / wall_s : 0; }
  uint64_t failed() const;  // read errors + failed inferences
};

// The summary as JSON (what summary.json holds) and as the text `percept run` prints.
std::string summary_json(const RunSummary& s);
std::string summary_text(const RunSummary& s);

}  // namespace percept
