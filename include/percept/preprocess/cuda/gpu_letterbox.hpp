// Frames in host memory -> a network input batch in GPU memory, for a model that runs on CUDA
// (Backend::accepts_device_inputs): each frame is copied into page-locked staging, uploaded
// (8-bit pixels: 3 bytes a pixel instead of the 12 a float input would cost), and letterboxed
// by letterbox_cuda into its slice of the NCHW batch. Everything is queued on the object's own
// stream; prepare() waits for that stream only (not the device) before returning, because
// ONNX Runtime reads the input on its own stream.
//
// One per thread (the detector that owns it); buffers grow to the largest batch and frame seen
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
  // On the current CUDA device. An error (never a crash) without a usable device.
  static Result<std::unique_ptr<GpuLetterbox>> create();

  // frames[i] letterboxed with params[i] into image i of a [n, 3, height, width] float32 batch
  // in GPU memory. The view stays valid until the next call.
  Result<TensorView> prepare(std::span<const ImageView> frames,
                             std::span<const LetterboxParams> params, const Normalize& norm,
                             int width, int height);

  gpu::PoolStats device_stats() const { return device_.stats(); }

 private:
  explicit GpuLetterbox(gpu::Stream stream) : stream_(std::move(stream)) {}

  gpu::Stream stream_;
  gpu::DevicePool device_;
  gpu::PinnedPool pinned_;
  std::vector<gpu::PinnedBuffer> staging_;   // per frame of the batch
  std::vector<gpu::DeviceBuffer> uploaded_;  // per frame of the batch
  gpu::DeviceBuffer input_;
};

}  // namespace percept
