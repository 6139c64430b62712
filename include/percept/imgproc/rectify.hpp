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
// dst has held an image of that size. Not thread-safe (remap() uses scratch rows): one
// Remapper per thread.
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
  void remap_row3(const ImageView& src, long stride, const PackedTap* tp, uint8_t* out) const;
  int w_ = 0, h_ = 0;
  std::vector<PackedTap> taps_;
  // Three-channel rows are done in two passes (rectify.cpp): the 2x2 neighbourhoods and
  // weights of one row gathered into these planes, then blended in vector lanes. Sized in
  // set_maps(); scratch of remap(), hence mutable (one Remapper per thread).
  mutable std::vector<uint8_t> gather_;
  mutable std::vector<int32_t> fixups_;
};

}  // namespace percept
