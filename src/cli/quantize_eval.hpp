// `percept quantize`'s measurements of the quantized model against the float one, in the
// same run: how far the task's results agree on held-out frames, each output's and each
// layer's signal-to-quantization-noise ratio, and the speed of both on the task's whole path.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "percept/core/image.hpp"
#include "percept/core/model_output.hpp"
#include "percept/tasks/task.hpp"

namespace percept::cli {

// Agreement of the int8 model's results with the float model's on the same frames, by task:
// detect, instance_segment, pose: F1 of detections matched one to one (same class, IoU >=
// 0.5); face: the same on face boxes; classify: top-1 agreement; depth: 1 - AbsRel (and AbsRel
// itself; a pixel only the float model measures counts as 100% wrong); segment: mIoU over the
// classes either map holds. `value` is in [0, 1], 1 = identical results.
struct Agreement {
  std::string metric;  // "detection F1", "top-1 agreement", "1 - AbsRel", "mIoU"
  double value = 1;
  double abs_rel = 0;    // depth only
  int64_t compared = 0;  // detections, frames or pixels compared
  std::string note;      // e.g. "the float model found no detections on these frames"
};

// Accumulates one frame's results at a time.
class AgreementMeter {
 public:
  explicit AgreementMeter(std::string task) : task_(std::move(task)) {}
  void add(const ModelOutput& reference, const ModelOutput& quantized);
  Agreement result() const;

 private:
  bool boxes() const;  // a task whose results are boxes
  std::string task_;
  int64_t tp_ = 0, ref_n_ = 0, q_n_ = 0;  // detect
  int64_t frames_ = 0, same_top1_ = 0;    // classify
  double abs_rel_sum_ = 0;                // depth
  int64_t pixels_ = 0;
  std::map<int, int64_t> inter_, uni_;  // segment, per class
};

// Signal-to-quantization-noise ratio in dB, accumulated over frames: 10 log10(sum x^2 /
// sum (x - y)^2). 200 when the two are identical, -200 when an int8 value is not finite where
// the float one is.
class Sqnr {
 public:
  void add(const float* reference, const float* quantized, size_t n);
  double db() const;

 private:
  double signal_ = 0, noise_ = 0;
  int64_t broken_ = 0;
};

}  // namespace percept::cli
