// Drawing results onto frames for annotated images and videos: boxes, faces, class maps and
// colourised depth.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "percept/core/depth_map.hpp"
#include "percept/core/detection.hpp"
#include "percept/core/face.hpp"
#include "percept/core/image.hpp"
#include "percept/core/instance_masks.hpp"
#include "percept/core/keypoints.hpp"
#include "percept/core/segmentation_map.hpp"

namespace percept {

// Draws each box with a per-class colour and a filled "label score" tag kept inside the frame.
// A fused distance is appended to the tag ("box 0.91 2.35"), a track id put first ("#7 box").
void draw_detections(Image& frame, const Detections& dets,
                     const std::function<std::string(int)>& label_of);

// The last centres of each tracked object (Detection::track_id), for drawing its trail. Each
// drawing sink keeps one: it sees its frames in capture order per camera. Trails of objects
// not seen for a while are forgotten, so the history stays as small as the scene.
class Trails {
 public:
  static constexpr int kLength = 20;  // centres per trail
  // Records the centres of `dets` (model `model` of camera `camera`, frame `index`) and draws
  // the trail of each tracked detection in its class colour.
  void update_and_draw(Image& frame, int camera, size_t model, int64_t index,
                       const Detections& dets);
  size_t size() const { return trails_.size(); }

 private:
  struct Trail {
    int camera = 0;
    size_t model = 0;
    int64_t id = 0;
    int64_t last_index = 0;
    int count = 0;  // centres held, at most kLength
    int head = 0;   // next slot
    std::array<std::array<float, 2>, kLength> centres{};
  };
  std::vector<Trail> trails_;
};

// Face boxes with their score and the six keypoints as dots.
void draw_faces(Image& frame, const Faces& faces);

// Blends a per-class colour over every pixel (alpha: weight of the colour); the map must have
// the frame's size (it is skipped otherwise).
void overlay_segmentation(Image& frame, const SegmentationMap& seg, float alpha = 0.45f);

// Blends each detection's class colour (the colour of its box) over its instance-mask pixels
// (masks.items[i] belongs to dets[i]; nothing is drawn when they do not line up).
void overlay_masks(Image& frame, const Detections& dets, const InstanceMasks& masks,
                   float alpha = 0.45f);

// Dots at the keypoints of each detection whose visibility is at least `min_visibility`, in
// the detection's class colour; with 17 keypoints (COCO), the COCO skeleton between them.
void draw_keypoints(Image& frame, const Detections& dets, const DetectionKeypoints& keypoints,
                    float min_visibility = 0.5f);

// A legend for class maps, in the top-left corner: one colour swatch (the colour
// overlay_segmentation uses) and name per (class id, name) entry, at most `max_rows` rows.
void draw_class_legend(Image& frame, const std::vector<std::pair<int, std::string>>& classes,
                       size_t max_rows = 8);

// The colourised depth map (colorize_depth) as a picture-in-picture in the bottom-right corner,
// `fraction` of the frame's width, with a near-to-far colour bar labelled with the map's range
// ("0.52 - 7.9 m", or "relative" for inverse depth). Skipped when the map is empty.
void draw_depth_inset(Image& frame, const DepthMap& depth, float fraction = 0.3f);

// White text with a black outline (cv::putText's Hershey simplex font, anti-aliased), rendered
// once as two coverage masks and blended wherever it is drawn: for a text drawn on every frame
// (a mosaic tile's camera id), where cv::putText's anti-aliased outline allocated for each
// stroke, about 440 times per mosaic frame of three ids. Same pixels as drawing the outline
// (thickness 3) and then the text (thickness 1, one pixel up and left) with cv::putText, to
// within 4 levels of rounding.
class OutlinedText {
 public:
  OutlinedText() = default;
  OutlinedText(const std::string& text, double scale);
  // Draws it with the text's baseline origin at (x + 8, y + 22) for scale 0.7 (the corner
  // placement cv::putText gets with Point(8, 22)), clipped to the frame and to max_w x max_h
  // pixels from (x, y) (a mosaic tile). No allocation.
  void draw(Image& frame, int x, int y, int max_w = 1 << 30, int max_h = 1 << 30) const;
  int width() const { return w_; }
  int height() const { return h_; }

 private:
  int w_ = 0, h_ = 0;
  std::vector<uint8_t> outline_, text_;  // coverage 0..255, w_ x h_
};

// A bgr8 picture of a depth map: near is bright, far is dark (inferno palette), scaled between
// the map's own minimum and maximum; pixels without depth are black.
Image colorize_depth(const DepthMap& depth);

}  // namespace percept
