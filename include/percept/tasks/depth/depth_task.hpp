// The depth task: monocular depth models (Depth Anything V2, MiDaS, percept's scene_depth).
//
// Conventions (defaults where the model does not say): RGB, ImageNet mean/std, stretch to the
// model's fixed size or, for a symbolic H/W, keep_aspect to multiples of 14 from `imgsz`.
// Output [B, H, W] or [B, 1, H, W]: relative inverse depth unless depth_unit is m (metres).
// The map is resampled bilinearly onto the frame (the letterbox padding removed first).
#pragma once

#include <memory>

#include "percept/preprocess/letterbox.hpp"
#include "percept/tasks/image_input.hpp"
#include "percept/tasks/task.hpp"

namespace percept {

// `conventions` are already resolved (config > sidecar > metadata).
std::unique_ptr<Task> make_depth_task(const TaskContext& ctx, const TaskConfig& config,
                                      const ModelConventions& conventions);

// One output plane (out_w x out_h) -> depth map in frame pixels (p.src_w x p.src_h). Reuses
// map's and the resampler's buffers.
void depth_to_frame(const float* out, int out_w, int out_h, const LetterboxParams& p,
                    DepthUnit unit, DepthMap& map, PlaneResampler& resampler);

}  // namespace percept
