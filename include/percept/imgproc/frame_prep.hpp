// What a camera does to each frame before any model sees it (docs/RECTIFY.md): rectification
// with its calibration, then a Gaussian blur, each optional, in place on the frame. Runs on the
// camera's capture thread; one FramePrep per camera (not thread-safe). Allocates nothing per
// frame once it has seen one frame of the camera's size: the output goes into a second image
// that is then swapped with the frame, so the two buffers simply trade places.
#pragma once

#include <optional>
#include <string>
#include <utility>

#include "percept/core/error.hpp"
#include "percept/core/image.hpp"
#include "percept/imgproc/camera_info.hpp"
#include "percept/imgproc/gaussian.hpp"
#include "percept/imgproc/rectify.hpp"

namespace percept {

class FramePrep {
 public:
  // `calibration`: rectify with it (its file path names it in errors); blur when sigma > 0 or
  // ksize > 0 (gaussian_kernel's rules; throws percept::Error on a bad pair).
  FramePrep(const std::optional<CameraInfo>& calibration, std::string calibration_path,
            double blur_sigma, int blur_ksize)
      : path_(std::move(calibration_path)) {
    if (calibration) remap_.emplace(rectify_maps(*calibration));
    if (blur_sigma > 0 || blur_ksize > 0) blur_.emplace(blur_sigma, blur_ksize);
  }

  bool active() const { return remap_.has_value() || blur_.has_value(); }

  // The frame's size must be the calibration's: an error names both sizes and the calibration
  // file (the same holds for every frame of a camera, so callers may stop it; they name it).
  Status apply(Image& frame) {
    if (remap_) {
      if (frame.width() != remap_->width() || frame.height() != remap_->height())
        return Error(ErrorCode::invalid_argument,
                     "frames are " + std::to_string(frame.width()) + "x" +
                         std::to_string(frame.height()) + " but the calibration '" + path_ +
                         "' (rectify) is for " + std::to_string(remap_->width()) + "x" +
                         std::to_string(remap_->height()));
      if (Status s = remap_->remap(frame.view(), tmp_); !s.ok()) return s;
      std::swap(frame, tmp_);
    }
    if (blur_) {
      if (Status s = blur_->apply(frame.view(), tmp_); !s.ok()) return s;
      std::swap(frame, tmp_);
    }
    return {};
  }

 private:
  std::string path_;
  std::optional<Remapper> remap_;
  std::optional<GaussianBlur> blur_;
  Image tmp_;
};

}  // namespace percept
