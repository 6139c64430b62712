// The classify task: [B, C] scores -> softmax -> the top k classes with their labels.
// An output that already holds probabilities (every row in [0, 1], summing to 1 within 1e-3)
// is taken as is: a second softmax would flatten it.
// Conventions default to ImageNet mean/std, RGB, stretch to the model's input size.
#pragma once

#include <memory>

#include "percept/tasks/task.hpp"

namespace percept {

std::unique_ptr<Task> make_classify_task(const TaskContext& ctx, const TaskConfig& config,
                                         const ModelConventions& conventions);

// Top k of one row of `classes` scores, best first (ties: lower class id first). `probs` is
// reused scratch.
void top_k_softmax(const float* scores, int classes, int k, ClassScores& out,
                   std::vector<float>& probs);

}  // namespace percept
