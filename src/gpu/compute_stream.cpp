#include "percept/gpu/compute_stream.hpp"

#include <utility>

#ifdef PERCEPT_HAVE_CUDA
#include "percept/gpu/cuda.hpp"
#endif

namespace percept::gpu {

ComputeStream ComputeStream::on_cuda_device(int index, std::string* why) {
  ComputeStream s;
#ifdef PERCEPT_HAVE_CUDA
  std::string reason;
  if (!device_available(&reason)) {
    if (why) *why = "no CUDA device (" + reason + ")";
    return s;
  }
  // The stream belongs to the device current when it is created.
  if (Status st = check(cudaSetDevice(index), "select device " + std::to_string(index)); !st) {
    if (why) *why = st.error().message();
    return s;
  }
  cudaStream_t stream = nullptr;
  if (Status st = check(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking), "create stream");
      !st) {
    if (why) *why = st.error().message();
    return s;
  }
  s.handle_ = stream;
#else
  (void)index;  // no device to choose without CUDA
  if (why) *why = "percept was built without CUDA (PERCEPT_CUDA=OFF)";
#endif
  return s;
}

ComputeStream::ComputeStream(ComputeStream&& o) noexcept
    : handle_(std::exchange(o.handle_, nullptr)) {}

ComputeStream& ComputeStream::operator=(ComputeStream&& o) noexcept {
  if (this != &o) {
    ComputeStream old(std::move(*this));
    handle_ = std::exchange(o.handle_, nullptr);
  }
  return *this;
}

ComputeStream::~ComputeStream() {
#ifdef PERCEPT_HAVE_CUDA
  if (handle_) cudaStreamDestroy(static_cast<cudaStream_t>(handle_));
#endif
}

Status ComputeStream::synchronize() const {
#ifdef PERCEPT_HAVE_CUDA
  if (handle_)
    return check(cudaStreamSynchronize(static_cast<cudaStream_t>(handle_)), "synchronize stream");
#endif
  return {};
}

}  // namespace percept::gpu
