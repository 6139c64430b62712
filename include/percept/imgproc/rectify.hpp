// Rectification (undistortion) of camera frames from a calibration (imgproc/camera_info.hpp):
// the maps once, then a bilinear remap per frame. The CPU code here is the reference of the
// CUDA kernel (imgproc/cuda/imgproc_cuda.hpp); both use rectify_math.hpp.
#pragma once

#include <cstdint>
#include <vector>

#include "percept/core/error.hpp"
#include "percept/core/image.hpp"
#include "percept/imgproc/camera_info.hpp"
#include "percept/imgproc/rectify_math.hpp"

namespace percept {

// For every destination pixel (x, y), the source pixel it samples (map_x, map_y, row-major
// width x height floats), as cv::initUndistortRectifyMap(K, D, R, P[:, :3], size, CV_32FC1)
// (cv::fisheye::initUndistortRectifyMap for equidistant), computed in double.
struct RectifyMaps {
  int width = 0, height = 0;
  std::vector<float> map_x, map_y;
};
RectifyMaps rectify_maps(const CameraInfo& cam);

// Bilinear remap of 8-bit interleaved images (bgr8, rgb8, gray8) through fixed maps, with
// the border value 0 (cv::remap INTER_LINEAR, BORDER_CONSTANT; bit-equal, see
// rectify_math.hpp). The taps are computed once in set_maps(); remap() allocates nothing once
// dst has held an image of that size. Not thread-safe: one Remapper per thread.
class Remapper {
 public:
  Remapper() = default;
  explicit Remapper(const RectifyMaps& maps) { set_maps(maps); }
  void set_maps(const RectifyMaps& maps);

  int width() const { return w_; }
  int height() const { return h_; }

  // dst: maps' width x height, src's format. src may have any size (the maps say where to
  // read); src and dst must not overlap.
  Status remap(const ImageView& src, Image& dst) const;

  struct PackedTap {  // rectify_math::Tap, packed (6 bytes a pixel)
    int16_t x0, y0;
    uint8_t fx, fy;
  };

 private:
  int w_ = 0, h_ = 0;
  std::vector<PackedTap> taps_;
};

}  // namespace percept
