// The measuring loop of `percept bench`, shared with `percept tune` so that both report the
// same numbers for the same setting: warm-up, then N iterations or S seconds, each timed into
// a histogram. Called from the CLI's main thread only.
#pragma once

#include <string>
#include <vector>

#include "percept/core/clock.hpp"
#include "percept/core/error.hpp"
#include "percept/core/image.hpp"
#include "percept/infer/backend.hpp"
#include "percept/tasks/task.hpp"
#include "percept/telemetry/histogram.hpp"

namespace percept::cli {

struct MeasureOptions {
  int warmup = 5;         // untimed calls first
  int iterations = 50;    // timed calls (when duration_s is 0)
  double duration_s = 0;  // timed seconds instead of a count
};

// Runs `fn` (returning Status) for the warm-up, then times each call into `latency_ns`.
template <class Fn>
Status measure(const MeasureOptions& o, Histogram& latency_ns, Fn&& fn) {
  for (int i = 0; i < o.warmup; ++i)
    if (Status s = fn(); !s) return s;
  const int64_t end = now_ns() + static_cast<int64_t>(o.duration_s * 1e9);
  for (int i = 0; o.duration_s > 0 ? now_ns() < end : i < o.iterations; ++i) {
    const int64_t t0 = now_ns();
    if (Status s = fn(); !s) return s;
    latency_ns.record(now_ns() - t0);
  }
  return {};
}

// The frame to measure with: the given image, or a 1280x720 synthetic scene (what a camera
// delivers) when `image_path` is empty. Throws percept::Error when the image cannot be read.
Image bench_frame(const std::string& image_path);

// Inference alone: the task's own preprocessing of `batch` copies of `frame` once, then only
// Backend::run timed, on the backend the task runs on.
Result<Histogram> measure_inference(Task& task, Backend& backend, const Image& frame, int batch,
                                    const MeasureOptions& o);
// The task's whole path (Task::run: preprocess + inference + postprocess) on `batch` copies of
// `frame`.
Result<Histogram> measure_task_path(Task& task, const Image& frame, int batch,
                                    const MeasureOptions& o);

// "1,2,4" -> {1, 2, 4}; each in [lo, hi]. Throws percept::Error naming `option` and the item.
std::vector<int> parse_int_list(const std::string& list, const std::string& option, int lo, int hi);

// Frames per second of a batch-latency histogram: batch / mean latency.
inline double throughput_fps(const Histogram& latency_ns, int batch) {
  const double mean_s = latency_ns.mean() * 1e-9;
  return mean_s > 0 ? batch / mean_s : 0;
}

}  // namespace percept::cli
