// 3D positions of detections: the box centre back-projected at the detection's fused depth
// (Detection::distance, the z of the camera optical frame), and the box's size at that depth.
#pragma once

#include "percept/core/detection.hpp"
#include "percept/core/intrinsics.hpp"

namespace percept {

// Sets position_m and size_m of every detection that has a finite distance > 0; the others get
// has_position = false (no depth under the box: no 3D, rather than a bogus one).
void locate_in_3d(Detections& dets, const Intrinsics& k);

}  // namespace percept
