// The segment task: semantic segmentation. Output [B, C, H, W] class logits -> per-pixel argmax;
// [B, 1, H, W] one logit -> binary mask (sigmoid > mask_threshold; classes background and
// foreground). Logits are resampled bilinearly onto the frame before the argmax, so class
// borders are as sharp as the frame, not the output grid.
// Conventions default to ImageNet mean/std, RGB, stretch to the model's input size.
#pragma once

#include <memory>

#include "percept/preprocess/letterbox.hpp"
#include "percept/tasks/image_input.hpp"
#include "percept/tasks/task.hpp"

namespace percept {

std::unique_ptr<Task> make_segment_task(const TaskContext& ctx, const TaskConfig& config,
                                        const ModelConventions& conventions);

// Buffers segmentation_to_frame reuses between frames.
struct SegmentScratch {
  PlaneResampler resampler;
  std::vector<float> best;   // best logit so far per pixel of a row
  std::vector<int32_t> ids;  // its class
};

// `logits`: classes planes of out_w x out_h (one image). Fills map (p.src_w x p.src_h) and its
// per-class fractions; classes <= 256. classes == 1: binary mask with the given threshold.
void segmentation_to_frame(const float* logits, int classes, int out_w, int out_h,
                           const LetterboxParams& p, float mask_threshold, SegmentationMap& map,
                           SegmentScratch& scratch);

}  // namespace percept
