// Progress of an offline `percept run` (every camera reads a file or a finite synthetic
// scene): a redrawn bar on a terminal, plain periodic lines otherwise (logs, CI).
#pragma once

#include <cstdint>
#include <cstdio>

#include "percept/pipeline/config.hpp"
#include "percept/telemetry/snapshot.hpp"

namespace percept::cli {

// Frames the run will take in all (each camera's file length, capped by max_frames), or -1
// when a camera has no end (devices, streams, endless synthetic scenes) or does not say.
int64_t expected_frames(const PipelineConfig& cfg, int64_t max_frames);

class Progress {
 public:
  // `tty`: redraw one line with '\r'; otherwise print a line every `line_every_s` seconds.
  Progress(int64_t total, bool tty, std::FILE* out, double line_every_s = 5);
  // From the telemetry thread with each snapshot: frames done (completed + dropped since start).
  void update(const TelemetrySnapshot& s);
  // After the run: the last state on its own line (ends the bar's line on a terminal), with
  // the frames the run handled and its FPS over the whole run. The last snapshot's figure is
  // one interval's, often a short last one (issue 21: "0.0 FPS" after a 33.6 FPS run).
  void finish(int64_t frames_done, double run_fps);

 private:
  void print(bool final_line);
  int64_t total_;
  bool tty_;
  std::FILE* out_;
  double every_s_;
  int64_t done_ = 0;
  double fps_ = 0, elapsed_s_ = 0, last_line_s_ = -1;
};

}  // namespace percept::cli
