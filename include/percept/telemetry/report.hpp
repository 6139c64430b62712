// `percept report`: a profile of a run from its telemetry JSONL, as one self-contained HTML
// file (inline SVG, no script, no network at view time), plus the analysis behind it.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "percept/telemetry/snapshot.hpp"

namespace percept {

struct StageShare {
  std::string model, stage;
  double mean_ms = 0;
  double share = 0;  // of the mean end-to-end latency, 0..1
};

// How much of the run a model's executor spent working (preprocess + inference + postprocess
// of its batches over the run's wall time): the busiest one sets the pipeline's pace.
struct ExecutorLoad {
  std::string model;
  double busy = 0;  // 0..1
  uint64_t batches = 0;
};

struct TelemetryAnalysis {
  std::vector<StageShare> stages;  // every model's stages, run-wide means
  // The working stages over 20% of end-to-end time. Not the queue: frames waiting for an
  // executor are the effect of the busiest executor (`limit`), and in lossless mode waiting is
  // by design (issue 21: "bottleneck: model shapes queue 69%" named the symptom).
  std::vector<StageShare> bottlenecks;
  std::vector<ExecutorLoad> loads;           // busiest first
  std::optional<ExecutorLoad> limit;         // the busiest executor when it was busy >= 80%
  std::vector<std::string> recommendations;  // each follows from a number it quotes
  std::vector<std::string> notes;            // facts without a recommendation (e.g. no GPU)
};

// Run-wide figures from the snapshots in time order (counters and sums are cumulative, so the
// last snapshot holds the totals).
TelemetryAnalysis analyze_telemetry(const std::vector<TelemetrySnapshot>& snapshots);

// The findings as lines of text ("bottleneck: ...", "recommendation: ...", "note: ..."), what
// `percept report` and `percept run` print.
std::string findings_text(const TelemetryAnalysis& an);

// The HTML page. Sections (element ids): summary, latency-over-time, stage-breakdown,
// latency-histogram, fps-per-camera, gpu-utilisation, controller (only when the deadline
// controller ran: its actions), bottlenecks, recommendations.
std::string render_report_html(const std::vector<TelemetrySnapshot>& snapshots,
                               const std::string& title);

// Reads a telemetry JSONL file (blank lines skipped). Throws percept::Error naming the line.
// With `cut_tail`, a last line that has no newline and does not parse (a run killed while it
// wrote) is left out and *cut_tail set instead; without it, that line is an error too.
std::vector<TelemetrySnapshot> read_telemetry_file(const std::string& path,
                                                   bool* cut_tail = nullptr);

}  // namespace percept
