// Decoding of YOLO-family detector outputs into boxes: confidence filter, box conversion and
// class-aware NMS. Boxes come out in network-input pixels; the detect task maps them back to
// the frame with its LetterboxParams.
#pragma once

#include <cstdint>
#include <vector>

#include "percept/core/detection.hpp"
#include "percept/tasks/detect/nms.hpp"
#include "percept/tasks/detect/yolo_layout.hpp"

namespace percept {

struct DecodeOptions {
  float conf_threshold = 0.25f;  // minimum class score (v5: objectness x class score)
  int max_candidates = 30000;    // highest-scoring candidates that enter NMS (Ultralytics max_nms)
  NmsOptions nms;
};

// Holds scratch buffers so that decoding a stream of frames does not allocate once warm.
// One decoder per thread.
class YoloDecoder {
 public:
  // `image` points at one image's slice of the output tensor ([4+nc, N], [N, 5+nc] or [K, 6]).
  // Non-finite scores and boxes are skipped. Returns the detections in `out` (cleared first).
  void decode(const float* image, const LayoutInfo& info, const DecodeOptions& opt,
              Detections& out);
  // The same, and anchors[i] = the anchor (v8, v5) or row (end2end) that out[i] came from, for
  // heads that keep more per anchor than the box (mask coefficients after the class scores).
  void decode(const float* image, const LayoutInfo& info, const DecodeOptions& opt, Detections& out,
              std::vector<uint32_t>& anchors);

 private:
  void decode_v8(const float* p, int nc, int n, float conf, Detections& out);
  void decode_v5(const float* p, int nc, int n, float conf, Detections& out);
  // Thresholded candidates into `out`, their anchors into anchor_ (no NMS).
  void candidates(const float* image, const LayoutInfo& info, const DecodeOptions& opt,
                  Detections& out);

  std::vector<float> best_;
  std::vector<int32_t> best_class_;
  std::vector<uint32_t> anchor_;  // anchor of each candidate, in push order
  std::vector<uint32_t> order_;
  std::vector<uint32_t> anchor_kept_;
  NmsScratch nms_;
};

}  // namespace percept
