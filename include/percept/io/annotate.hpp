// Drawing results onto frames for annotated images and videos: boxes, faces, class maps and
// colourised depth.
#pragma once

#include <functional>
#include <string>

#include "percept/core/detection.hpp"
#include "percept/core/image.hpp"
#include "percept/tasks/depth/depth_map.hpp"
#include "percept/tasks/face/face.hpp"
#include "percept/tasks/segment/segmentation_map.hpp"

namespace percept {

// Draws each box with a per-class colour and a filled "label score" tag kept inside the frame.
// A fused distance is appended to the tag ("box 0.91 2.35").
void draw_detections(Image& frame, const Detections& dets,
                     const std::function<std::string(int)>& label_of);

// Face boxes with their score and the six keypoints as dots.
void draw_faces(Image& frame, const Faces& faces);

// Blends a per-class colour over every pixel (alpha: weight of the colour); the map must have
// the frame's size (it is skipped otherwise).
void overlay_segmentation(Image& frame, const SegmentationMap& seg, float alpha = 0.45f);

// A bgr8 picture of a depth map: near is bright, far is dark (inferno palette), scaled between
// the map's own minimum and maximum; pixels without depth are black.
Image colorize_depth(const DepthMap& depth);

}  // namespace percept
