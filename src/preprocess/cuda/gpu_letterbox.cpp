#include "percept/preprocess/cuda/gpu_letterbox.hpp"

#include <cstring>
#include <string>

#include "percept/preprocess/cuda/letterbox_cuda.hpp"

namespace percept {

namespace {

// Keeps `b` when it holds `bytes`, else replaces it from the pool (the old block goes back first).
template <class Buffer, class Alloc>
Status ensure(Buffer& b, size_t bytes, Alloc&& alloc) {
  if (b && b.capacity() >= bytes) return {};
  b = Buffer();
  auto r = alloc(bytes);
  if (!r.ok()) return r.error();
  b = std::move(r).value();
  return {};
}

}  // namespace

Result<std::unique_ptr<GpuLetterbox>> GpuLetterbox::create(cudaStream_t shared) {
  std::string why;
  if (!gpu::device_available(&why))
    return Error(ErrorCode::device, "GPU preprocessing: no CUDA device (" + why + ")");
  if (shared) return std::unique_ptr<GpuLetterbox>(new GpuLetterbox(gpu::Stream(), shared));
  auto stream = gpu::Stream::create();
  if (!stream.ok())
    return Error(stream.error().code(), "GPU preprocessing: " + stream.error().message());
  return std::unique_ptr<GpuLetterbox>(new GpuLetterbox(std::move(stream).value(), nullptr));
}

Result<TensorView> GpuLetterbox::prepare(std::span<const ImageView> frames,
                                         std::span<const LetterboxParams> params,
                                         const Normalize& norm, int width, int height) {
  const size_t n = frames.size();
  if (params.size() != n)
    return Error(ErrorCode::invalid_argument,
                 "GPU preprocessing: one letterbox geometry per frame");
  const cudaStream_t s = stream();
  const size_t per_image = size_t{3} * static_cast<size_t>(width) * static_cast<size_t>(height);
  if (Status st = ensure(input_, n * per_image * sizeof(float),
                         [&](size_t b) { return device_.allocate(b, s); });
      !st)
    return st.error();
  if (staging_.size() < n) {
    staging_.resize(n);
    uploaded_.resize(n);
  }
  for (size_t i = 0; i < n; ++i) {
    const ImageView& f = frames[i];
    if (f.empty())
      return Error(ErrorCode::invalid_argument,
                   "GPU preprocessing: frame " + std::to_string(i) + " is empty");
    const size_t row = static_cast<size_t>(f.width) * f.channels();
    const size_t bytes = row * static_cast<size_t>(f.height);
    if (Status st = ensure(staging_[i], bytes, [&](size_t b) { return pinned_.allocate(b); }); !st)
      return st.error();
    if (Status st = ensure(uploaded_[i], bytes, [&](size_t b) { return device_.allocate(b, s); });
        !st)
      return st.error();
    // Rows packed into page-locked memory, so that the upload is one asynchronous DMA.
    auto* dst = staging_[i].as<uint8_t>();
    for (int y = 0; y < f.height; ++y) std::memcpy(dst + y * row, f.row(y), row);
    if (Status st =
            gpu::check(cudaMemcpyAsync(uploaded_[i].data(), dst, bytes, cudaMemcpyHostToDevice, s),
                       "GPU preprocessing: upload frame " + std::to_string(i));
        !st)
      return st.error();
    const ImageView on_device{uploaded_[i].as<uint8_t>(), f.width, f.height, row, f.format};
    if (Status st = letterbox_cuda(on_device, params[i], norm, input_.as<float>() + i * per_image,
                                   DType::f32, s);
        !st)
      return st.error();
  }
  // On a stream of our own, ONNX Runtime would read the input on another one, and the staging
  // buffers are rewritten by the next call: wait for this stream's work (not the whole device).
  // On the shared stream the model's kernels are ordered after ours and Backend::run waits for
  // the stream before it returns: nothing to wait for here.
  if (!shared_)
    if (Status st = own_.synchronize(); !st) return st.error();
  TensorView v;
  v.data = input_.data();
  v.dtype = DType::f32;
  v.shape = Shape{static_cast<int64_t>(n), 3, height, width};
  v.place = MemoryPlace::cuda;
  return v;
}

}  // namespace percept
