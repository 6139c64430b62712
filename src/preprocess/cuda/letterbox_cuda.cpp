#include "percept/preprocess/cuda/letterbox_cuda.hpp"

#include <string>

#include "letterbox_kernel.hpp"
#include "percept/gpu/cuda.hpp"

namespace percept {

Status letterbox_cuda_validate(const ImageView& src, const LetterboxParams& p, const void* dst,
                               DType dtype) {
  auto fail = [](const std::string& m) {
    return Status(Error(ErrorCode::invalid_argument, "letterbox_cuda: " + m));
  };
  if (src.empty()) return fail("empty source image");
  if (!dst) return fail("null destination");
  if (dtype != DType::f32 && dtype != DType::f16)
    return fail(std::string("output dtype ") + dtype_name(dtype) + " (float32 or float16 only)");
  if (src.stride < static_cast<size_t>(src.width) * src.channels())
    return fail("stride " + std::to_string(src.stride) + " shorter than a row");
  if (p.src_w != src.width || p.src_h != src.height)
    return fail("parameters are for " + std::to_string(p.src_w) + "x" + std::to_string(p.src_h) +
                ", the image is " + std::to_string(src.width) + "x" + std::to_string(src.height));
  if (p.dst_w < 1 || p.dst_h < 1 || p.new_w < 1 || p.new_h < 1 || p.pad_left < 0 || p.pad_top < 0 ||
      p.pad_left + p.new_w > p.dst_w || p.pad_top + p.new_h > p.dst_h)
    return fail("inconsistent letterbox parameters (use letterbox_params)");
  return {};
}

letterbox_math::Args letterbox_cuda_args(const ImageView& src, const LetterboxParams& p,
                                         const Normalize& n, DType dtype) {
  letterbox_math::Args a{};
  a.src = src.data;
  a.stride = src.stride;
  a.src_w = src.width;
  a.src_h = src.height;
  a.channels = src.channels();
  a.dst_w = p.dst_w;
  a.dst_h = p.dst_h;
  a.new_w = p.new_w;
  a.new_h = p.new_h;
  a.pad_left = p.pad_left;
  a.pad_top = p.pad_top;
  a.inv_x = static_cast<double>(p.src_w) / p.new_w;
  a.inv_y = static_cast<double>(p.src_h) / p.new_h;
  // As letterbox_cpu: swap R and B when the source order differs from the requested one.
  const bool swap = a.channels == 3 && ((src.format == PixelFormat::rgb8) != n.rgb);
  a.src_channel[0] = a.channels == 1 ? 0 : (swap ? 2 : 0);
  a.src_channel[1] = a.channels == 1 ? 0 : 1;
  a.src_channel[2] = a.channels == 1 ? 0 : (swap ? 0 : 2);
  for (int k = 0; k < 3; ++k) {
    a.scale[k] = n.scale[static_cast<size_t>(k)];
    a.bias[k] = n.bias[static_cast<size_t>(k)];
    a.pad[k] = n.pad_value * a.scale[k] + a.bias[k];
  }
  a.f16 = dtype == DType::f16;
  return a;
}

Status letterbox_cuda(const ImageView& src, const LetterboxParams& p, const Normalize& n, void* dst,
                      DType dtype, cudaStream_t stream) {
  if (Status s = letterbox_cuda_validate(src, p, dst, dtype); !s.ok()) return s;
  return gpu::check(
      cuda_detail::launch_letterbox(letterbox_cuda_args(src, p, n, dtype), dst, stream),
      "letterbox kernel launch");
}

}  // namespace percept
