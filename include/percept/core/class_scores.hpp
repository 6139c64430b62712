// Classification results: the best classes of one frame, best first.
#pragma once

#include <vector>

namespace percept {

struct ClassScore {
  int class_id = 0;
  float score = 0.f;  // softmax probability
};
using ClassScores = std::vector<ClassScore>;

}  // namespace percept
