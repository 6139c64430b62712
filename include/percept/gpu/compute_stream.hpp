// The CUDA stream an executor owns and shares with everything that works on its batches: the
// task's pre- and post-processing kernels and ONNX Runtime (BackendOptions::cuda_stream), so
// that a batch is one chain of work on one stream with one synchronisation. Plain C++ in every
// build: without CUDA (or for a CPU model) it holds no stream and handle() is null.
//
// Move-only; the stream is destroyed with it, so it must outlive the backend and the task that
// use it (declare it first).
#pragma once

#include <string>

#include "percept/core/error.hpp"

namespace percept::gpu {

class ComputeStream {
 public:
  ComputeStream() = default;
  // A stream for a model running on `device` ("cpu", "cuda[:N]", "tensorrt[:N]"): a new
  // non-blocking CUDA stream on a GPU device in a CUDA build, none otherwise. Without a usable
  // GPU it returns an empty stream and `why` says why (the backend then falls back to the CPU
  // and logs it once).
  static ComputeStream for_device(const std::string& device, std::string* why = nullptr);
  ComputeStream(ComputeStream&& o) noexcept;
  ComputeStream& operator=(ComputeStream&& o) noexcept;
  ComputeStream(const ComputeStream&) = delete;
  ComputeStream& operator=(const ComputeStream&) = delete;
  ~ComputeStream();

  // The cudaStream_t, or null when there is none.
  void* handle() const { return handle_; }
  explicit operator bool() const { return handle_ != nullptr; }
  // Waits for the stream's work; {} when there is no stream.
  Status synchronize() const;

 private:
  void* handle_ = nullptr;
};

}  // namespace percept::gpu
