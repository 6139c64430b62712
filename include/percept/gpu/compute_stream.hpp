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
  // A new non-blocking CUDA stream on CUDA device `index` (CUDA builds). Without a usable GPU,
  // or in a build without CUDA, it returns an empty stream and `why` says why (the backend then
  // falls back to the CPU and logs it once). Callers with a device string ("cuda:1") use
  // open_stream (tasks/task.hpp), which parses it as the backends do.
  static ComputeStream on_cuda_device(int index, std::string* why = nullptr);
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
