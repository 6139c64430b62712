#include "percept/gpu/compute_stream.hpp"

#include <utility>

#ifdef PERCEPT_HAVE_CUDA
#include "percept/gpu/cuda.hpp"
#endif

namespace percept::gpu {

namespace {

// The CUDA device index a device string names, or -1 for the CPU.
int cuda_index(const std::string& device) {
  for (const char* p : {"cuda", "tensorrt"}) {
    const std::string prefix = p;
    if (device == prefix) return 0;
    if (device.rfind(prefix + ":", 0) == 0) {
      try {
        return std::stoi(device.substr(prefix.size() + 1));
      } catch (const std::exception&) {
        return -1;  // the backend reports the malformed device
      }
    }
  }
  return -1;
}

}  // namespace

ComputeStream ComputeStream::for_device(const std::string& device, std::string* why) {
  ComputeStream s;
  const int index = cuda_index(device);
  if (index < 0) return s;
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
