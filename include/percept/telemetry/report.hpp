// `percept report`: a profile of a run from its telemetry JSONL, as one self-contained HTML
// file (inline SVG, no script, no network at view time), plus the analysis behind it.
#pragma once

#include <string>
#include <vector>

#include "percept/telemetry/snapshot.hpp"

namespace percept {

struct StageShare {
  std::string model, stage;
  double mean_ms = 0;
  double share = 0;  // of the mean end-to-end latency, 0..1
};

struct TelemetryAnalysis {
  std::vector<StageShare> stages;            // every model's stages, run-wide means
  std::vector<StageShare> bottlenecks;       // the stages over 20% of end-to-end time
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
// latency-histogram, fps-per-camera, gpu-utilisation, bottlenecks, recommendations.
std::string render_report_html(const std::vector<TelemetrySnapshot>& snapshots,
                               const std::string& title);

// Reads a telemetry JSONL file (blank lines skipped). Throws percept::Error naming the line.
std::vector<TelemetrySnapshot> read_telemetry_file(const std::string& path);

}  // namespace percept
