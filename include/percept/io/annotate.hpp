// Drawing detections onto frames for annotated images and videos.
#pragma once

#include <functional>
#include <string>

#include "percept/core/detection.hpp"
#include "percept/core/image.hpp"

namespace percept {

// Draws each box with a per-class colour and a filled "label score" tag kept inside the frame.
void draw_detections(Image& frame, const Detections& dets,
                     const std::function<std::string(int)>& label_of);

}  // namespace percept
