// Frames -> network input for the image-to-image and classification tasks (depth, segment,
// classify): resize by the model's convention (stretch, letterbox or keep_aspect), colour
// order, (pixel/255 - mean) / std and NCHW or NHWC float32, and the way back from the output
// grid to frame pixels.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "percept/core/error.hpp"
#include "percept/core/image.hpp"
#include "percept/core/tensor.hpp"
#include "percept/infer/backend.hpp"
#include "percept/infer/model_conventions.hpp"
#include "percept/preprocess/letterbox.hpp"
#include "percept/tasks/resample_math.hpp"

namespace percept {

enum class ResizeMode { stretch, letterbox, keep_aspect };

// Normalisation from the conventions: (pixel/255 - mean) / std in `rgb` order; defaults are
// the ones given (ImageNet for depth/segment/classify, plain /255 for YOLO).
Normalize make_normalize(const ModelConventions& c, const std::array<float, 3>& default_mean,
                         const std::array<float, 3>& default_std, bool default_rgb);

class ImageInput {
 public:
  // Reads the input tensor `in` and the conventions. Throws percept::Error naming the model
  // when the input is not an image tensor or its size cannot be told.
  ImageInput(const std::string& model, const TensorInfo& in, const ModelConventions& c,
             ResizeMode default_resize, const Normalize& norm);

  // Network input size for a frame of w x h (differs per frame size only with keep_aspect).
  InputSize size_for(int w, int h) const;
  // Fills `input` with the frames (all must map to the same input size) and their geometry.
  Status fill(std::span<const ImageView> frames, Tensor& input,
              std::vector<LetterboxParams>& params);

  InputSize nominal_size() const { return size_; }
  ResizeMode resize() const { return resize_; }
  bool nhwc() const { return nhwc_; }
  std::string describe() const;  // "224x168 stretch rgb mean [...] std [...] nchw"

 private:
  std::string model_;
  InputSize size_;
  bool dynamic_hw_ = false;
  ResizeMode resize_ = ResizeMode::stretch;
  int stride_ = 14;
  bool nhwc_ = false;
  Normalize norm_;
  std::vector<float> planes_;  // NCHW scratch for NHWC models
};

// The part of the network input that holds the frame, in output-grid pixels (an output may be
// smaller than the input: stride-8 segmentation heads). For letterbox it excludes the padding.
struct OutputRegion {
  float x0 = 0, y0 = 0, w = 0, h = 0;
};
OutputRegion output_region(const LetterboxParams& p, int out_w, int out_h);

// Bilinear resampling of float planes (model outputs) over `region` onto dst_w x dst_h, pixel
// centres at +0.5: cv::resize INTER_LINEAR when the region is the whole plane. Taps are clamped
// to the region's cells, so the letterbox padding never bleeds into the frame's border pixels.
//
// Row by row, like cv::resize: each source row is interpolated horizontally once (cached per
// plane), and a destination row is a vertical blend of two cached rows, a loop the compiler
// vectorises. Buffers are reused: no allocation once configured for a size.
class PlaneResampler {
 public:
  // Geometry for `planes` planes of w x h (the cache keeps two rows per plane).
  void configure(int w, int h, const OutputRegion& region, int dst_w, int dst_h, int planes = 1);
  // Destination row y (dst_w floats) of plane `index` whose data is `plane`, written to `out`
  // or, when null, to an internal row valid until the next call. Per plane, rows must come in
  // increasing y (the cache only moves forward); configure() again for a new frame.
  const float* row(const float* plane, int index, int y, float* out = nullptr);
  int dst_width() const { return dst_w_; }
  int dst_height() const { return dst_h_; }

 private:
  void horizontal(const float* src_row, float* out) const;
  int w_ = 0, h_ = 0, dst_w_ = 0, dst_h_ = 0;
  std::vector<int32_t> x0_, x1_;
  std::vector<float> wx_;
  std::vector<int32_t> y0_, y1_;
  std::vector<float> wy_;
  std::vector<int32_t> cached_;  // per plane: source rows held in its two cache rows
  std::vector<uint8_t> flip_;    // per plane: which of its two cache rows is the upper one
  std::vector<float> rows_;      // per plane: two horizontally interpolated rows
  std::vector<float> out_;
};

// One plane resampled whole into dst (dst_w x dst_h floats).
void resample_bilinear(const float* src, int w, int h, const OutputRegion& region, float* dst,
                       int dst_w, int dst_h, PlaneResampler& resampler);

// Axis of a region of a grid of `size` cells resampled onto dst_size cells; its taps are
// bilinear_tap() (tasks/resample_math.hpp).
Axis region_axis(float offset, float extent, int dst_size, int size);

}  // namespace percept
