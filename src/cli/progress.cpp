#include "progress.hpp"

#include <algorithm>
#include <exception>
#include <string>

#include "percept/io/source.hpp"

namespace percept::cli {

int64_t expected_frames(const PipelineConfig& cfg, int64_t max_frames) {
  int64_t total = 0;
  for (const CameraConfig& c : cfg.cameras) {
    int64_t n = -1;
    if (c.source.kind == SourceKind::synthetic) {
      n = c.source.frames;
    } else if (is_file_source(c.source.kind)) {
      try {  // a second, short-lived open: the runtime opens its own and reports errors
        n = open_source(c.source)->frame_count();
      } catch (const std::exception&) {
        n = -1;
      }
    }
    if (max_frames >= 0) n = n < 0 ? max_frames : std::min(n, max_frames);
    if (n < 0) return -1;
    total += n;
  }
  return total;
}

Progress::Progress(int64_t total, bool tty, std::FILE* out, double line_every_s)
    : total_(total), tty_(tty), out_(out), every_s_(line_every_s) {}

void Progress::update(const TelemetrySnapshot& s) {
  int64_t done = 0;
  for (const CameraTelemetry& c : s.cameras)
    done += static_cast<int64_t>(c.frames.total + c.drops.total);
  done_ = done;
  fps_ = s.fps;
  elapsed_s_ += s.interval_s;
  if (tty_) {
    print(false);
  } else if (last_line_s_ < 0 || elapsed_s_ - last_line_s_ >= every_s_) {
    last_line_s_ = elapsed_s_;
    print(false);
  }
}

void Progress::finish(int64_t frames_done, double run_fps) {
  done_ = std::max(done_, frames_done);
  fps_ = run_fps;
  print(true);
}

void Progress::print(bool final_line) {
  const double frac =
      total_ > 0 ? std::clamp(static_cast<double>(done_) / static_cast<double>(total_), 0.0, 1.0)
                 : 0.0;
  std::string eta = "--:--";
  if (fps_ > 0 && total_ > done_) {
    const auto s = static_cast<long long>(static_cast<double>(total_ - done_) / fps_ + 0.5);
    char buf[32];
    std::snprintf(buf, sizeof buf, "%lld:%02lld", s / 60, s % 60);
    eta = buf;
  } else if (total_ <= done_) {
    eta = "0:00";
  }
  char line[256];
  if (tty_) {
    constexpr int kWidth = 30;
    const int filled = static_cast<int>(frac * kWidth);
    std::string bar(static_cast<size_t>(filled), '#');
    bar.append(static_cast<size_t>(kWidth - filled), '.');
    std::snprintf(line, sizeof line, "\r[%s] %lld/%lld frames %3.0f%%  %.1f FPS  ETA %s\033[K",
                  bar.c_str(), static_cast<long long>(done_), static_cast<long long>(total_),
                  frac * 100, fps_, eta.c_str());
    std::fputs(line, out_);
    if (final_line) std::fputc('\n', out_);
  } else {
    std::snprintf(line, sizeof line, "progress: %lld/%lld frames (%.0f%%), %.1f FPS, ETA %s\n",
                  static_cast<long long>(done_), static_cast<long long>(total_), frac * 100, fps_,
                  eta.c_str());
    std::fputs(line, out_);
  }
  std::fflush(out_);
}

}  // namespace percept::cli
