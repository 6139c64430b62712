#include "percept/tasks/image_input.hpp"

#include "percept/core/simd.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace percept {

Normalize make_normalize(const ModelConventions& c, const std::array<float, 3>& default_mean,
                         const std::array<float, 3>& default_std, bool default_rgb) {
  const auto mean = c.mean.value_or(default_mean);
  const auto std = c.std.value_or(default_std);
  Normalize n;
  n.rgb = c.rgb.value_or(default_rgb);
  for (int i = 0; i < 3; ++i) {
    n.scale[i] = 1.f / (255.f * std[i]);
    n.bias[i] = -mean[i] / std[i];
  }
  return n;
}

ImageInput::ImageInput(const std::string& model, const TensorInfo& in, const ModelConventions& c,
                       ResizeMode default_resize, const Normalize& norm)
    : model_(model), norm_(norm) {
  const std::string who = "model '" + model + "': input '" + in.name + "' " + shape_str(in.shape);
  if (in.dtype != DType::f32)
    throw Error(who + " is " + dtype_name(in.dtype) + "; percept feeds float32");
  if (in.shape.size() != 4)
    throw Error(who + ": expected an image tensor [B, 3, H, W] or [B, H, W, 3]");
  // Layout: the conventions, else where the 3 channels are.
  if (c.nhwc) {
    nhwc_ = *c.nhwc;
  } else if (in.shape[1] == 3 && in.shape[3] != 3) {
    nhwc_ = false;
  } else if (in.shape[3] == 3 && in.shape[1] != 3) {
    nhwc_ = true;
  } else if (in.shape[1] == 3) {
    nhwc_ = false;  // [B, 3, H, 3]: NCHW is by far the common case; `layout` overrides it
  } else {
    throw Error(who +
                ": cannot tell NCHW from NHWC (no dimension of 3 channels); set layout: "
                "nchw or nhwc");
  }
  const int64_t ch = nhwc_ ? in.shape[3] : in.shape[1];
  if (ch != 3 && ch != -1)
    throw Error(who + ": " + std::to_string(ch) + " channels; percept feeds 3");
  const int64_t h = nhwc_ ? in.shape[1] : in.shape[2];
  const int64_t w = nhwc_ ? in.shape[2] : in.shape[3];
  dynamic_hw_ = h < 0 || w < 0;
  if (c.input_size) {
    size_ = *c.input_size;
    if ((h > 0 && h != size_.height) || (w > 0 && w != size_.width))
      throw Error(fmt::format("{}: input_size {}x{} ({}) does not match the tensor", who,
                              size_.width, size_.height, c.origin("input_size")));
  } else if (!dynamic_hw_) {
    size_ = {static_cast<int>(w), static_cast<int>(h)};
  } else {
    throw Error(who +
                " has a symbolic height or width and no size in the config, sidecar or "
                "metadata; set input_size (imgsz)");
  }
  if (size_.width < 1 || size_.height < 1 || size_.width > kLetterboxMaxWidth ||
      size_.height > kLetterboxMaxWidth)
    throw Error(fmt::format("{}: input size {}x{} is out of range (1..{})", who, size_.width,
                            size_.height, kLetterboxMaxWidth));
  resize_ = default_resize;
  if (c.resize)
    resize_ = *c.resize == "letterbox" ? ResizeMode::letterbox
              : *c.resize == "stretch" ? ResizeMode::stretch
                                       : ResizeMode::keep_aspect;
  if (resize_ == ResizeMode::keep_aspect && !dynamic_hw_)
    resize_ = ResizeMode::stretch;  // a fixed-size input leaves nothing to keep: stretch
  stride_ = c.stride.value_or(14);
}

InputSize ImageInput::size_for(int w, int h) const {
  if (resize_ != ResizeMode::keep_aspect) return size_;
  // Depth Anything's Resize(keep_aspect_ratio, ensure_multiple_of, "lower_bound"): one scale
  // so that both sides reach the nominal size, each rounded to a multiple of the stride.
  const double s =
      std::max(static_cast<double>(size_.height) / h, static_cast<double>(size_.width) / w);
  auto fit = [&](double x, int min_val) {
    int y = static_cast<int>(std::nearbyint(x / stride_)) * stride_;
    if (y < min_val) y = static_cast<int>(std::ceil(x / stride_)) * stride_;
    return std::clamp(y, stride_, kLetterboxMaxWidth / stride_ * stride_);
  };
  return {fit(s * w, size_.width), fit(s * h, size_.height)};
}

Status ImageInput::fill(std::span<const ImageView> frames, Tensor& input,
                        std::vector<LetterboxParams>& params) {
  if (frames.empty()) return Error("model '" + model_ + "': empty batch");
  const InputSize sz = size_for(frames[0].width, frames[0].height);
  const auto n = static_cast<int64_t>(frames.size());
  if (nhwc_)
    input.reshape(DType::f32, {n, sz.height, sz.width, 3});
  else
    input.reshape(DType::f32, {n, 3, sz.height, sz.width});
  params.resize(frames.size());
  const size_t per_image = static_cast<size_t>(3) * sz.width * sz.height;
  if (nhwc_) planes_.resize(per_image);
  for (size_t i = 0; i < frames.size(); ++i) {
    const ImageView& f = frames[i];
    if (f.empty()) return Error("model '" + model_ + "': frame " + std::to_string(i) + " is empty");
    LetterboxParams& p = params[i];
    if (resize_ == ResizeMode::letterbox) {
      p = letterbox_params(f.width, f.height, sz.width, sz.height);
    } else {
      if (i > 0 && (size_for(f.width, f.height).width != sz.width ||
                    size_for(f.width, f.height).height != sz.height))
        return Error("model '" + model_ + "': frames of one batch map to different input sizes");
      p = LetterboxParams{f.width, f.height, sz.width, sz.height, sz.width, sz.height, 0, 0};
    }
    float* dst = input.as<float>() + i * per_image;
    if (!nhwc_) {
      letterbox_cpu(f, p, norm_, dst);
      continue;
    }
    // NHWC: planes first, then interleave. The extra pass costs one read and one write of
    // the (small) network input, far less than the resize itself.
    letterbox_cpu(f, p, norm_, planes_.data());
    const size_t plane = static_cast<size_t>(sz.width) * sz.height;
    for (size_t k = 0; k < plane; ++k) {
      dst[3 * k] = planes_[k];
      dst[3 * k + 1] = planes_[plane + k];
      dst[3 * k + 2] = planes_[2 * plane + k];
    }
  }
  return {};
}

std::string ImageInput::describe() const {
  const char* mode = resize_ == ResizeMode::letterbox ? "letterbox"
                     : resize_ == ResizeMode::stretch ? "stretch"
                                                      : "keep_aspect";
  std::string s = fmt::format("input {}x{}{} {} {} {}", size_.width, size_.height,
                              dynamic_hw_ ? " (dynamic)" : "", mode, norm_.rgb ? "rgb" : "bgr",
                              nhwc_ ? "nhwc" : "nchw");
  if (resize_ == ResizeMode::keep_aspect) s += fmt::format(" stride {}", stride_);
  return s;
}

OutputRegion output_region(const LetterboxParams& p, int out_w, int out_h) {
  const float sx = static_cast<float>(out_w) / static_cast<float>(p.dst_w);
  const float sy = static_cast<float>(out_h) / static_cast<float>(p.dst_h);
  return {static_cast<float>(p.pad_left) * sx, static_cast<float>(p.pad_top) * sy,
          static_cast<float>(p.new_w) * sx, static_cast<float>(p.new_h) * sy};
}

namespace {

// out = a + (b - a) * w: the vertical half of bilinear resampling, vectorised.
PERCEPT_VECTOR_CLONES
void blend_rows(const float* __restrict a, const float* __restrict b, float w,
                float* __restrict out, int n) {
  for (int x = 0; x < n; ++x) out[x] = lerp_w(a[x], b[x], w);
}

}  // namespace

Axis region_axis(float offset, float extent, int dst_size, int size) {
  Axis a;
  a.scale = extent / static_cast<float>(dst_size);
  a.offset = offset;
  // Cells whose centre lies inside the region (at least one).
  a.lo = std::clamp(static_cast<int>(std::floor(offset + 0.5f)), 0, size - 1);
  a.hi = std::clamp(static_cast<int>(std::ceil(offset + extent - 0.5f)) - 1, a.lo, size - 1);
  return a;
}

void PlaneResampler::configure(int w, int h, const OutputRegion& r, int dst_w, int dst_h,
                               int planes) {
  w_ = w;
  h_ = h;
  dst_w_ = dst_w;
  dst_h_ = dst_h;
  const Axis ax = region_axis(r.x0, r.w, dst_w, w);
  const Axis ay = region_axis(r.y0, r.h, dst_h, h);
  x0_.resize(static_cast<size_t>(dst_w));
  x1_.resize(static_cast<size_t>(dst_w));
  wx_.resize(static_cast<size_t>(dst_w));
  for (int x = 0; x < dst_w; ++x) {
    const Tap t = bilinear_tap(x, ax);
    x0_[static_cast<size_t>(x)] = t.i0;
    x1_[static_cast<size_t>(x)] = t.i1;
    wx_[static_cast<size_t>(x)] = t.w1;
  }
  y0_.resize(static_cast<size_t>(dst_h));
  y1_.resize(static_cast<size_t>(dst_h));
  wy_.resize(static_cast<size_t>(dst_h));
  for (int y = 0; y < dst_h; ++y) {
    const Tap t = bilinear_tap(y, ay);
    y0_[static_cast<size_t>(y)] = t.i0;
    y1_[static_cast<size_t>(y)] = t.i1;
    wy_[static_cast<size_t>(y)] = t.w1;
  }
  cached_.assign(2 * static_cast<size_t>(planes), -1);
  flip_.assign(static_cast<size_t>(planes), 0);
  rows_.resize(2 * static_cast<size_t>(planes) * static_cast<size_t>(dst_w));
  out_.resize(static_cast<size_t>(dst_w));
}

void PlaneResampler::horizontal(const float* src_row, float* out) const {
  const int32_t* x0 = x0_.data();
  const int32_t* x1 = x1_.data();
  const float* wx = wx_.data();
  for (int x = 0; x < dst_w_; ++x) {
    out[x] = lerp_w(src_row[x0[x]], src_row[x1[x]], wx[x]);
  }
}

const float* PlaneResampler::row(const float* plane, int index, int y, float* out) {
  const auto i = static_cast<size_t>(index);
  const int r0 = y0_[static_cast<size_t>(y)], r1 = y1_[static_cast<size_t>(y)];
  int32_t* held = cached_.data() + 2 * i;  // source rows in the plane's upper and lower slot
  uint8_t& flip = flip_[i];
  // Upsampling reuses each source row for several destination rows; moving down by one row
  // turns the lower cached row into the upper one (a pointer swap, not a copy).
  if (held[0] != r0 && held[1] == r0) {
    flip ^= 1;
    held[0] = r0;
    held[1] = -1;
  }
  float* base = rows_.data() + 2 * i * static_cast<size_t>(dst_w_);
  float* upper = base + (flip ? dst_w_ : 0);
  float* lower = base + (flip ? 0 : dst_w_);
  if (held[0] != r0) {
    horizontal(plane + static_cast<size_t>(r0) * w_, upper);
    held[0] = r0;
  }
  if (held[1] != r1) {
    horizontal(plane + static_cast<size_t>(r1) * w_, lower);
    held[1] = r1;
  }
  if (!out) out = out_.data();
  blend_rows(upper, lower, wy_[static_cast<size_t>(y)], out, dst_w_);
  return out;
}

void resample_bilinear(const float* src, int w, int h, const OutputRegion& region, float* dst,
                       int dst_w, int dst_h, PlaneResampler& rs) {
  rs.configure(w, h, region, dst_w, dst_h);
  for (int y = 0; y < dst_h; ++y) rs.row(src, 0, y, dst + static_cast<size_t>(y) * dst_w);
}

}  // namespace percept
