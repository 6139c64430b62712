// Instance-mask assembly on the CPU (YOLOv8-seg): for each kept detection, its mask
// coefficients x the prototypes, cropped to its box, upsampled to frame pixels with the
// letterbox removed, thresholded. Only the prototype pixels under a box are multiplied and
// only the frame pixels inside it are sampled, so the cost follows the objects' area, not
// nm x the whole prototype grid per object (the OpenCV recipe). Per-pixel math in mask_math.hpp.
#pragma once

#include <cstdint>
#include <vector>

#include "percept/core/detection.hpp"
#include "percept/core/instance_masks.hpp"
#include "percept/preprocess/letterbox.hpp"

namespace percept {

// One image's prototypes: nm planes of height x width floats, at input / stride resolution.
struct Prototypes {
  const float* data = nullptr;
  int nm = 0, height = 0, width = 0;
};

// Holds scratch buffers, so that assembling masks for a stream of frames does not allocate
// once warm. One assembler per thread.
class MaskAssembler {
 public:
  // Appends to `out` (cleared first) the mask of each detection, in order: dets[i].box (frame
  // pixels, from lb.to_source) with coefficients coef[i * nm .. i * nm + nm). `lb` maps the frame
  // to the network input whose size the prototypes divide. Non-finite coefficients or
  // prototypes give empty pixels, never undefined behaviour.
  void assemble(const Detections& dets, const float* coef, const Prototypes& protos,
                const LetterboxParams& lb, float threshold, InstanceMasks& out);

 private:
  std::vector<float> logits_;         // the prototype pixels under one box
  std::vector<int32_t> col0_, col1_;  // per frame column of the box: prototype taps
  std::vector<float> colw_;           // weight of the second tap
  std::vector<float> row_;            // the window's two rows blended, for one frame row
  struct Run {
    int x0, x1, c0, c1;  // box columns [x0, x1) share the taps c0, c1
  };
  std::vector<Run> runs_;
};

}  // namespace percept
