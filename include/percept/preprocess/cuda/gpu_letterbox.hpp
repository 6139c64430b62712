// Frames in host memory -> a network input batch in GPU memory, for a model that runs on CUDA
// (Backend::accepts_device_inputs): each frame is copied into page-locked staging, uploaded
// (8-bit pixels: 3 bytes a pixel instead of the 12 a float input would cost), and letterboxed
// by letterbox_cuda into its slice of the NCHW batch.
//
// Streams: given the executor's stream (the one ONNX Runtime runs the model on,
// BackendOptions::cuda_stream), everything is queued there and prepare() returns without
// waiting: the model's kernels follow in stream order, and Backend::run returns only after
// the stream reached its host outputs, so the batch costs one synchronisation and the pinned
// staging is free again when the next prepare() starts. Without one it makes its own stream and
// prepare() waits for it (ONNX Runtime would read the input on another stream).
//
// One per thread (the task that owns it); buffers grow to the largest batch and frame seen
// and are then reused: after warm-up the frame path allocates nothing.
#pragma once

#include <memory>
#include <span>
#include <vector>

#include "percept/core/error.hpp"
#include "percept/core/image.hpp"
#include "percept/core/tensor.hpp"
#include "percept/gpu/cuda.hpp"
#include "percept/preprocess/letterbox.hpp"

namespace percept {

class GpuLetterbox {
 public:
  // On the current CUDA device, on `shared` (not owned; must outlive this) or, when null, on
  // a stream of its own. An error (never a crash) without a usable device.
  static Result<std::unique_ptr<GpuLetterbox>> create(cudaStream_t shared = nullptr);

  // frames[i] letterboxed with params[i] into image i of a [n, 3, height, width] float32 batch
  // in GPU memory. The view stays valid until the next call.
  Result<TensorView> prepare(std::span<const ImageView> frames,
                             std::span<const LetterboxParams> params, const Normalize& norm,
                             int width, int height);

  gpu::PoolStats device_stats() const { return device_.stats(); }

 private:
  GpuLetterbox(gpu::Stream own, cudaStream_t shared) : own_(std::move(own)), shared_(shared) {}
  cudaStream_t stream() const { return shared_ ? shared_ : own_.get(); }

  gpu::Stream own_;                // empty when shared_ is set
  cudaStream_t shared_ = nullptr;  // the executor's stream, shared with ONNX Runtime
  gpu::DevicePool device_;
  gpu::PinnedPool pinned_;
  std::vector<gpu::PinnedBuffer> staging_;   // per frame of the batch
  std::vector<gpu::DeviceBuffer> uploaded_;  // per frame of the batch
  gpu::DeviceBuffer input_;
};

}  // namespace percept
